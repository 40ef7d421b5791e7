"""The layers of docs/ARCHITECTURE.md hold: checked by import-linter's contracts (.importlinter),
which must also fail when a circle is put back."""
import ast
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
# Imported where they are used, so that a process that never needs them never loads them.
LAZY_THIRD_PARTY = {"stripe", "requests", "urllib3", "pyx12"}


def lint(tree):
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, capture_output=True, text=True,
                          timeout=300)


def lint_with(tmp_path, module, added):
    """lint-imports on a copy of the code whose `module` (a path under alma/) ends with `added`."""
    shutil.copytree(ROOT / "alma", tmp_path / "alma",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    changed = tmp_path / "alma" / module
    changed.write_text(changed.read_text() + added)
    result = lint(tmp_path)
    assert result.returncode != 0
    return result.stdout


def test_the_import_contracts_are_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contracts_fail_when_the_money_core_imports_a_feature_again(tmp_path):
    said = lint_with(tmp_path, "billing/service.py", "\nfrom alma.membership import fees  # noqa\n")
    assert "alma.billing is not allowed to import alma.membership" in said
    assert "No cycles are allowed in alma" in said


def test_the_contracts_fail_on_a_circle_inside_a_function_too(tmp_path):
    said = lint_with(tmp_path, "consultations/service.py",
                     "\n\ndef _hidden():\n    from alma.matching import service  # noqa\n")
    assert "alma.consultations is not allowed to import alma.matching" in said


def test_the_contracts_fail_when_a_feature_imports_the_jobs_registry(tmp_path):
    said = lint_with(tmp_path, "consultations/jobs.py", "\nfrom alma import schedule  # noqa\n")
    assert "alma.consultations is not allowed to import alma.schedule" in said
    assert "No cycles are allowed in alma." in said


def test_the_contracts_fail_when_claim_each_imports_a_feature_again(tmp_path):
    said = lint_with(tmp_path, "jobs.py", "\nfrom alma.consultations import jobs  # noqa\n")
    assert "alma.jobs is not allowed to import alma.consultations" in said
    assert "No cycles are allowed in alma." in said


def test_the_contracts_fail_when_benefit_checks_import_the_program_again(tmp_path):
    said = lint_with(tmp_path, "benefits/checks.py", "\nfrom alma.program import clients  # noqa\n")
    assert "alma.benefits is not allowed to import alma.program" in said


def test_no_module_of_the_app_is_imported_inside_a_function():
    hidden = []
    for path in sorted((ROOT / "alma").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    names = [inner.module or ""]
                elif isinstance(inner, ast.Import):
                    names = [alias.name for alias in inner.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] not in LAZY_THIRD_PARTY:
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno} {name}")
    assert not hidden, "\n".join(hidden)


def test_every_package_has_its_layer_and_its_line_in_the_architecture():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    layered = set(re.findall(r"alma\.(\w+)", config["importlinter:contract:layers"]["layers"]))
    packages = {path.stem if path.is_file() else path.name
                for path in (ROOT / "alma").iterdir()
                if (path.suffix == ".py" and path.stem != "__init__")
                or (path / "__init__.py").exists()}
    assert packages - layered == set(), "give each package its layer in .importlinter"
    assert layered - packages == set(), ".importlinter names a package that is gone"
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    missing = {name for name in packages if f"alma/{name}" not in architecture}
    assert not missing, f"docs/ARCHITECTURE.md says nothing of {sorted(missing)}"


def test_the_contracts_fail_on_a_circle_between_the_modules_of_a_package(tmp_path):
    said = lint_with(tmp_path, "billing/service.py", "\nfrom alma.billing import overdue  # noqa\n")
    assert "No cycles are allowed in alma.billing." in said


def test_every_module_and_name_the_architecture_names_exists():
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    named = re.findall(r"`(alma/[\w/]+(?:\.py)?)(?::(\w+))?`", architecture)
    assert len(named) > 100  # the pattern still finds the map's paths
    gone = []
    for path, name in named:
        module = ROOT / path
        if not (module.exists() or module.with_suffix(".py").exists()):
            gone.append(path)
        elif name and name not in {
                getattr(node, "name", None) for node in ast.parse(module.read_text()).body}:
            gone.append(f"{path}:{name}")
    # A file named alone, in a package's line, is one of that package's.
    alone = 0
    for line in re.split(r"\n(?=- `alma/)", architecture.split("\n## ")[1])[1:]:
        package = re.match(r"- `alma/(\w+)", line).group(1)
        for name in re.findall(r"`(\w+\.py)`", line.split("\n\n")[0]):
            if not (ROOT / "alma" / package / name).exists():
                gone.append(f"{name} in alma/{package}")
            alone += 1
    assert alone > 50  # the pattern still finds the packages' lines
    assert not gone, f"docs/ARCHITECTURE.md names what doesn't exist: {gone}"


def layers_in_the_contract():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return [set(re.findall(r"alma\.(\w+)", line))
            for line in config["importlinter:contract:layers"]["layers"].strip().splitlines()]


def test_the_architecture_draws_the_layers_of_the_contract():
    """The picture under '## Layers' lists the packages top to bottom as .importlinter does:
    each feature line is one layer, and the top and core groups are its first and last."""
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    picture = architecture.split("## Layers", 1)[1].split("```")[1]
    layers = layers_in_the_contract()
    rank = {name: number for number, layer in enumerate(layers) for name in layer}
    groups, lines, label = {}, [], None
    for line in picture.strip().splitlines():
        label = line[:11].strip() or label
        names = re.findall(r"alma/(\w+)", line)
        groups.setdefault(label, set()).update(names)
        lines.append([rank[name] for name in names])
    assert groups["top"] == layers[0] and groups["core"] == layers[-1]
    assert all(len(set(ranks)) == 1 for ranks in lines), "one line, one layer"
    drawn = [ranks[0] for ranks in lines]
    assert drawn == sorted(drawn), "the picture puts a layer above one the contract puts higher"
    assert set(drawn) == set(range(len(layers)))
