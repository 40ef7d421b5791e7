"""Validating X12 with pyx12, in process: `validate(text)` returns its error messages
(an empty list means valid). The tests run every claim the app writes through it, and
reports.receive every 999, 277CA and 835 the clearinghouse sends.

pyx12.x12n_document parses its XML maps (the control map, the transaction's map, the code
lists and data elements inside each: ~10 MB) afresh on every call. The maps are only read
while validating, so each is parsed once per process and shared (`_maps`, filled under a
lock: threads and gevent greenlets alike wait for the first to finish, never parse twice).
"""
import io
import json
import logging
import threading

_lock = threading.Lock()
_maps = {}  # (what, file, map_path) -> the parsed pyx12 map, for the process's lifetime


def _once(what, make, *key):
    found = _maps.get((what, *key))
    if found is None:
        with _lock:
            found = _maps.get((what, *key))
            if found is None:
                found = _maps[(what, *key)] = make()
    return found


def _remember_maps(pyx12):
    """Make x12n_document, which looks up its loaders on their modules at each call, take
    its maps from `_maps`. Idempotent; the originals are kept to parse each map once."""
    if getattr(pyx12.map_if.load_map_file, "alma_once", False):
        return
    load_map_file, map_index = pyx12.map_if.load_map_file, pyx12.map_index.map_index

    def load_once(map_file, param, map_path=None):
        # Our params are always pyx12's defaults, so the file and folder name the map.
        return _once("map", lambda: load_map_file(map_file, param, map_path),
                     map_file, map_path)

    def index_once(map_path=None):
        return _once("index", lambda: map_index(map_path), map_path)

    load_once.alma_once = True
    pyx12.map_if.load_map_file, pyx12.map_index.map_index = load_once, index_once


class _Collect(logging.Handler):
    """Keeps the pyx12 error records logged by one thread."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.thread = threading.get_ident()
        self.messages = []

    def emit(self, record):
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def _json_errors(report):
    """Flatten pyx12's JSON error tree into readable lines."""
    found = []

    def add(where, errors):
        for error in errors:
            line = f"{where}: {error['err_cde']} {error['err_str']}"
            value = error.get("err_val")
            if value and f"({value})" not in line:
                line += f" ({value})"
            found.append(line)

    for isa in report.get("interchanges", []):
        add(f"ISA line {isa.get('cur_line')}", isa.get("errors", []))
        for gs in isa.get("groups", []):
            add(f"GS line {gs.get('cur_line')}", gs.get("errors", []))
            for st in gs.get("transactions", []):
                add(f"ST line {st.get('cur_line')}", st.get("errors", []))
                for seg in st.get("segments", []):
                    where = f"{seg.get('seg_id')} line {seg.get('cur_line')}"
                    add(where, seg.get("errors", []))
                    for ele in seg.get("elements", []):
                        name = ele.get("name") or ele.get("ele_ref_num") or ""
                        add(f"{where} element {ele.get('ele_pos')} {name}".rstrip(),
                            ele.get("errors", []))
    return found


def validate(text: str) -> list[str]:
    """pyx12's complaints about an X12 interchange; an empty list means valid.

    Runs pyx12.x12n_document in process on the text. pyx12 reports errors in
    three ways -- its return value, an error tree (read here through its JSON
    writer) and log records -- so all three are gathered: the tree gives the
    messages; log records cover failures before a tree exists (e.g. text that
    is not X12 at all); a False result with neither still yields a message.
    """
    # Imported here, not at the top: pyx12 and its maps are ~10 MB that no web worker
    # needs (the jobs worker reads reports; the tests validate every claim).
    import pyx12.errors
    import pyx12.params
    import pyx12.x12n_document

    with _lock:
        _remember_maps(pyx12)
    params = pyx12.params.ParamsBase()  # defaults only: no ~/.pyx12.conf.xml
    source = io.StringIO(text)
    report = io.StringIO()
    collect = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(collect)
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=params, src_file=source, fd_997=None, fd_html=None,
            fd_xmldoc=None, fd_json=report)
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        return [f"pyx12 could not read the interchange: {error}"]
    except Exception as error:  # pyx12 can trip over badly broken input
        return [f"pyx12 failed on the interchange: {type(error).__name__}: {error}"]
    finally:
        logger.removeHandler(collect)

    errors = []
    if report.getvalue():
        errors = _json_errors(json.loads(report.getvalue()))
    if not errors:
        # pyx12 names the source by its repr: say "the text" instead
        errors = [message.replace(str(source), "the text") for message in collect.messages]
    if not ok and not errors:
        errors = ["pyx12 reported the interchange invalid without saying why"]
    return errors
