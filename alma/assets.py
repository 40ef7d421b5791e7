"""Static files: named by their content, cached for a year, compressed, served by WhiteNoise.

Why the app builds them itself, at start-up: a PaaS may skip any build step we ask
of it, so nothing here depends on one. Each file under static/ is copied into the
instance folder (instance/static/) under a name that carries a hash of its content
(css/app.3f2a9c1e0b7d.css), beside a gzip and a brotli copy when those are smaller.
A name stands for one content forever, so a copy that exists is never rewritten, and
each is written to a temporary file then renamed into place (atomic): two gunicorn
workers starting together at worst write the same bytes twice, and neither ever sees
half a file. The compressed copies land before the file itself, so a worker that finds
the file finds its encodings too. Copies of earlier versions stay, so a page cached
before a deploy still gets its files; the folder is disposable (`make clean`).

url_for('static', filename=...) gives the hashed name. WhiteNoise, wrapped around the
WSGI app, answers those URLs before Flask: `Cache-Control: max-age=31536000, immutable`
and the smallest encoding the client accepts. The plain names (the favicon, anything
an email or another site names) are served from static/ itself with a short cache.
WhiteNoise answers before Flask's after_request runs, so it adds the same security
headers (alma/security.py) itself: an SVG or HTML file opened directly is a document,
and needs the Content-Security-Policy as much as a page does.

Development: a file's hash is recomputed when its size or modification time changes,
and its copy built then, so an edit shows on the next page load; WhiteNoise looks at
the disk on every request (autorefresh) instead of indexing it once.
"""
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from werkzeug.security import safe_join
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from alma import security

log = logging.getLogger("alma")

YEAR = 365 * 24 * 60 * 60
# Plain names are for what cannot follow a hash (a favicon, an email): a deploy
# reaches them within minutes.
PLAIN_MAX_AGE = 300
DIGEST_LENGTH = 12


def hashed_name(relative, digest):
    """css/app.css -> css/app.<digest>.css; LICENSE -> LICENSE.<digest>."""
    folder, slash, name = relative.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    named = f"{stem}.{digest}.{suffix}" if dot and stem else f"{name}.{digest}"
    return folder + slash + named


class Assets:
    """The hashed copies of one static folder, and the name of each.

    `live` (development) rechecks a file each time its name is asked for.
    """

    def __init__(self, source, build, live=False):
        self.source, self.build = Path(source).resolve(), Path(build).resolve()
        self.scratch = self.build.parent / ".static-tmp"  # same filesystem: rename is atomic
        self.live = live
        self.names = {}  # relative name -> (hashed name, size, mtime_ns)
        self.compressor = Compressor(quiet=True)

    def build_all(self):
        """Copy every file under the source; returns how many names it knows."""
        for folder, subfolders, files in os.walk(self.source):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and not name.endswith("~"):
                    path = Path(folder) / name
                    self._build_one(path.relative_to(self.source).as_posix(), path.stat())
        return len(self.names)

    def url_name(self, filename):
        """The name url_for should use for static/<filename>: the hashed one when known."""
        if self.live:
            return self._current(filename)
        known = self.names.get(filename)
        return known[0] if known else filename

    def _current(self, filename):
        path = safe_join(str(self.source), filename)
        try:
            stat = os.stat(path) if path else None
        except OSError:
            stat = None
        if stat is None or not os.path.isfile(path):
            return filename
        known = self.names.get(filename)
        if known and known[1:] == (stat.st_size, stat.st_mtime_ns):
            return known[0]
        return self._build_one(filename, stat)

    def _build_one(self, relative, stat):
        data = (self.source / relative).read_bytes()
        hashed = hashed_name(relative, hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH])
        target = self.build / hashed
        if not target.exists():
            if self.compressor.should_compress(relative):
                self._compressed_copies(target, data, stat.st_mtime_ns)
            self._write(target, data, stat.st_mtime_ns)
        self.names[relative] = (hashed, stat.st_size, stat.st_mtime_ns)
        return hashed

    def _compressed_copies(self, target, data, mtime_ns):
        encoders = [(".gz", self.compressor.compress_gzip)]
        if self.compressor.use_brotli:
            encoders.append((".br", self.compressor.compress_brotli))
        for suffix, encode in encoders:
            encoded = encode(data)
            if self.compressor.is_compressed_effectively(suffix, str(target), len(data),
                                                         encoded):
                self._write(target.with_name(target.name + suffix), encoded, mtime_ns)

    def _write(self, target, data, mtime_ns):
        target.parent.mkdir(parents=True, exist_ok=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.scratch)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)
            os.utime(temporary, ns=(mtime_ns, mtime_ns))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def is_hashed(self, path):
        return Path(path).resolve().is_relative_to(self.build)


def init_app(app, instance_path):
    live = app.config["ALMA_ENV"] == "development"
    assets = Assets(app.static_folder, Path(instance_path) / "static", live=live)
    try:
        assets.build_all()
    except OSError as problem:
        # Pages still work, with plain names and a short cache: slower, not broken.
        log.error("static files are served without hashed names: %s", problem)
    app.extensions["alma.assets"] = assets

    @app.url_defaults
    def _hashed_static_names(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.url_name(values["filename"])

    security_headers = security.headers_for(app.config)

    def add_headers(headers, path, url):
        if assets.is_hashed(path):
            headers["Cache-Control"] = f"max-age={YEAR}, public, immutable"
        for name, value in security_headers.items():
            headers.setdefault(name, value)

    served = WhiteNoise(app.wsgi_app, autorefresh=live, max_age=0 if live else PLAIN_MAX_AGE,
                        allow_all_origins=False, add_headers_function=add_headers)
    prefix = app.static_url_path + "/"
    if live or assets.build.is_dir():
        served.add_files(str(assets.build), prefix=prefix)
    served.add_files(app.static_folder, prefix=prefix)
    app.wsgi_app = served
    return assets
