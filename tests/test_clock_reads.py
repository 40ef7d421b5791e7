"""The suite reads the app's clock as each test runs, never while modules are imported.

`pytest --clock=DAY` moves the clock in pytest_configure, but a conftest named on the command
line (tests/billing_desk/conftest.py imports tests.factories) is imported before that: a day
read at import time would be the machine's day, and a licence written "90 days from today"
would already have expired on the moved day. CI caught exactly that on 2028-02-29.
"""
import ast
from pathlib import Path

TESTS = Path(__file__).parent
CLOCK_READS = {"today", "utcnow", "now"}


def _import_time_calls(tree):
    """Calls evaluated when the module is imported: everything outside function bodies
    (module and class bodies, decorators such as parametrize, default arguments)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending.extend(node.decorator_list)
            pending.extend(node.args.defaults + [d for d in node.args.kw_defaults if d])
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def _name(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def clock_reads_at_import(source):
    tree = ast.parse(source)
    return sorted(call.lineno for call in _import_time_calls(tree) if _name(call) in CLOCK_READS)


def test_no_test_module_reads_the_clock_when_it_is_imported():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name in ("hard_dates.py", "clocked.py"):  # they read the machine's day on purpose
            continue
        found += [f"{path.relative_to(TESTS)}:{line}"
                  for line in clock_reads_at_import(path.read_text())]
    assert found == []


def test_the_check_finds_module_parameter_and_default_reads_and_lets_bodies_be():
    source = (
        "TODAY = today()\n"
        "@pytest.mark.parametrize('day', [clock.today()])\n"
        "def test_a(day, when=clock.utcnow()):\n"
        "    return today()\n"
        "class Cases:\n"
        "    start = utcnow()\n"
        "    def later(self):\n"
        "        return utcnow()\n"
        "later = lambda: today()\n")
    assert clock_reads_at_import(source) == [1, 2, 3, 6]
