"""The package's shape: one-way imports, one writer, short functions, light imports."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "tianhe_geo"
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_layers_import_only_downward():
    out = _lint(ROOT, ROOT / "src")
    assert out.returncode == 0, out.stdout[-3000:]
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("data/io.py", "from tianhe_geo.present import maps"),
        ("analysis/network.py", "from tianhe_geo.plan import run"),
        ("plan/compliance.py", "import folium"),
        ("present/report.py", "from tianhe_geo.data.io import write_text"),
        ("analysis/euclidean.py", "from tianhe_geo.analysis import coverage"),
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    # A copy of the package with one import that goes the wrong way.
    shutil.copytree(PACKAGE, tmp_path / "src" / "tianhe_geo")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "src" / "tianhe_geo" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n", encoding="utf-8")
    out = _lint(tmp_path, tmp_path / "src")
    assert out.returncode != 0 and "BROKEN" in out.stdout, out.stdout[-2000:]


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


WRITERS = {"write_text", "write_bytes", "write_vector", "atomic_path", "to_file", "to_parquet"}


def test_only_the_pipeline_writes_outputs():
    # io.py holds the file primitives, staging.py the folders that move in whole.
    allowed = {PACKAGE / "pipeline.py", PACKAGE / "data" / "io.py", PACKAGE / "data" / "staging.py"}
    offenders = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name in WRITERS and path not in allowed:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert offenders == []


#: Longest function body allowed without a comment on its first line saying why.
MAX_LINES = 60


def test_functions_stay_under_a_screen():
    long = []
    for path, tree in _sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # The docstring is documentation, not length.
                body = node.body[1:] if ast.get_docstring(node) else node.body
                if not body:
                    continue
                n = body[-1].end_lineno - body[0].lineno + 1
                why = "# long:" in lines[node.lineno - 1]
                if n > MAX_LINES and not why:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({n})")
    assert long == []


def test_reading_a_scenario_does_not_load_the_solver_or_the_map_kit():
    code = (
        "import sys; import tianhe_geo.data.scenario_spec as s; "
        "print(sorted(m for m in ('pulp', 'folium', 'matplotlib', 'scipy', 'tianhe_geo.plan') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_public_api_is_explicit_and_resolves():
    import tianhe_geo

    assert "coverage" in tianhe_geo.__all__ and "_radius_counts" not in tianhe_geo.__all__
    for name in tianhe_geo.__all__:
        assert getattr(tianhe_geo, name) is not None, name
    with pytest.raises(AttributeError):
        tianhe_geo.not_a_name  # noqa: B018


def test_old_import_paths_work_for_one_release_with_a_warning():
    import tianhe_geo
    from tianhe_geo.analysis.coverage import coverage

    with pytest.warns(DeprecationWarning, match="tianhe_geo.analysis.coverage.coverage"):
        from tianhe_geo.coverage import coverage as old
    assert old is coverage
    assert tianhe_geo.coverage is coverage  # the old module does not shadow the function
    with pytest.warns(DeprecationWarning, match="plan.run.analyse"):
        assert tianhe_geo.analysis.analyse is tianhe_geo.analyse
    with pytest.warns(DeprecationWarning, match="read_walk_network"):
        from tianhe_geo.io import read_walk_network
    assert read_walk_network is tianhe_geo.read_walk_network
    with pytest.raises(ImportError):
        from tianhe_geo.coverage import no_such_name  # noqa: F401


def test_mypy_runs_clean():
    mypy = Path(sys.executable).with_name("mypy")
    out = subprocess.run(
        [str(mypy), "--no-incremental"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout[-3000:]


def test_readme_examples_import_only_public_names():
    import re

    import tianhe_geo

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tianhe_geo"):
                assert node.module == "tianhe_geo", node.module
                assert {a.name for a in node.names} <= set(tianhe_geo.__all__)
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "tianhe_geo":
                assert node.attr in tianhe_geo.__all__, node.attr


def test_readme_architecture_lists_every_module():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = text[text.index("### Architecture") :]
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py" and path.parent != PACKAGE and path.parent.name != "cli":
            continue
        assert f" {path.name} " in tree or f" {path.name}\n" in tree, path.relative_to(PACKAGE)
