"""Run the main job on every Python that ``requires-python`` admits, each in a fresh venv.

Run by ``make pythons`` (and, alongside pytest, by ``make test``)::

    .venv/bin/python scripts/check_pythons.py [--jobs 1] [--only 3.12] [--keep]

For each admitted minor version other than the running interpreter's (the
main venv, which pytest covers), this finds the interpreter (``python3.X`` on
PATH, else the newest ``$(pyenv root)/versions/3.X.*``), creates a venv in a
temporary folder, installs the package from a wheel of this checkout (built
once, no ``-e``, so pip resolves the dependencies for that Python as a user's
``pip install`` does, through pip's own cache), runs
``tianhe-geo build --out <tmp>/out`` from the temporary folder and checks
that it exited 0 and wrote the report, the CSVs and the siting outputs.

A Python that cannot be found counts as failed, with one line saying where it
was looked for: an untested Python is not a passing one. The last line is
``pythons: N passed, N failed``; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
#: What the main job must write (besides one siting_<question>.* set per question).
REQUIRED = [
    "report.html",
    "report.md",
    "coverage_by_subdistrict.csv",
    "standards.csv",
    "indicators.csv",
    "uncovered.gpkg",
    "overview_zh.html",
    "overview_en.html",
]
#: Packages whose versions are printed per Python (they resolve differently).
SHOWN = ["pulp", "cbcbox", "numpy", "pandas", "geopandas", "shapely", "pyproj", "scipy"]
STEP_TIMEOUT_S = 1200


@dataclass
class Outcome:
    """What happened for one Python."""

    minor: str
    ok: bool = False
    line: str = ""
    seconds: dict = field(default_factory=dict)


def admitted_minors() -> list[str]:
    """``3.X`` versions that pyproject's requires-python admits (it must have an upper bound)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    spec = re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if spec is None:
        sys.exit("pyproject.toml has no requires-python")
    admitted = SpecifierSet(spec.group(1))
    minors = [f"3.{m}" for m in range(0, 40) if f"3.{m}.0" in admitted]
    if not minors or minors[-1] == "3.39":
        sys.exit(f"requires-python {spec.group(1)!r} needs an upper bound, e.g. <3.14")
    return minors


def pyenv_root() -> Path:
    """``$PYENV_ROOT``, else what ``pyenv root`` says, else ``~/.pyenv``."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path.home() / ".pyenv"


def find_python(minor: str) -> tuple[str | None, list[str]]:
    """An interpreter that really is Python ``minor``, and the places looked at.

    Each candidate is run: a pyenv shim for a version that is not selected
    exists on PATH but fails.
    """
    root = pyenv_root()
    pattern = str(root / "versions" / f"{minor}.*" / "bin" / f"python{minor}")

    def patch(path: str) -> int:
        found = re.search(rf"/{re.escape(minor)}\.(\d+)/bin/", path)
        return int(found.group(1)) if found else -1  # 3.13.0t and the like last

    candidates = [shutil.which(f"python{minor}")]
    candidates += sorted(glob.glob(pattern), key=patch, reverse=True)
    for exe in filter(None, candidates):
        probe = subprocess.run(
            [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == minor:
            return exe, []
    return None, [f"python{minor} on PATH", pattern]


def run(cmd: list[str], log: Path, cwd: Path) -> float:
    """Run ``cmd`` appending to ``log``; return seconds; raise with the log's tail on failure."""
    start = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        try:
            done = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, timeout=STEP_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            done = None
    if done is None or done.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-30:])
        what = "timed out" if done is None else f"exited {done.returncode}"
        msg = f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} {what}:\n{tail}"
        raise RuntimeError(msg)
    return time.perf_counter() - start


def check_outputs(out: Path) -> list[str]:
    """Problems with what the main job wrote (empty when it is all there)."""
    problems = [f"{name} missing or empty" for name in REQUIRED if not _nonempty(out / name)]
    sitings = sorted(out.glob("siting_*.csv"))
    if not sitings:
        problems.append("no siting_*.csv")
    for table in sitings:
        stem = table.with_suffix("")
        for twin in (".gpkg", "_zh.html", "_en.html"):
            if not _nonempty(Path(f"{stem}{twin}")):
                problems.append(f"{stem.name}{twin} missing or empty")
        with table.open(encoding="utf-8") as f:
            if sum(1 for _ in csv.reader(f)) < 2:
                problems.append(f"{table.name} has no site")
    return problems


def _nonempty(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def versions(python: Path) -> str:
    """``name version`` of the packages in SHOWN installed in a venv."""
    code = (
        "from importlib.metadata import version, PackageNotFoundError\n"
        f"for n in {SHOWN!r}:\n"
        "    try: print(n, version(n))\n"
        "    except PackageNotFoundError: pass\n"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return ", ".join(line for line in out.stdout.splitlines() if line)


def check(minor: str, wheel: Path, base: Path) -> Outcome:
    """Fresh venv, install the wheel, run the main job, check its outputs."""
    result = Outcome(minor)
    exe, looked = find_python(minor)
    if exe is None:
        result.line = (
            f"Python {minor}: MISSING (requires-python admits it): not found as "
            f"{' nor '.join(looked)}; install it (e.g. pyenv install {minor})"
        )
        return result
    work = base / f"py{minor}"
    work.mkdir()
    log, venv, out = work / "log.txt", work / "venv", work / "out"
    bindir = venv / "bin"
    try:
        result.seconds["venv"] = run([exe, "-m", "venv", str(venv)], log, work)
        install = [str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)]
        result.seconds["install"] = run(install, log, work)
        freeze = subprocess.run(
            [str(bindir / "python"), "-m", "pip", "freeze"], capture_output=True, text=True
        )
        (work / "freeze.txt").write_text(freeze.stdout, encoding="utf-8")
        build = [str(bindir / "tianhe-geo"), "build", "--out", str(out)]
        result.seconds["build"] = run(build, log, work)
    except RuntimeError as exc:
        result.line = f"Python {minor} ({exe}): FAILED: {exc}"
        return result
    problems = check_outputs(out)
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    if problems:
        result.line = f"Python {minor}: FAILED: main job exited 0 but {'; '.join(problems)}"
        return result
    result.ok = True
    sites = ", ".join(
        f"{t.stem.removeprefix('siting_')} {sum(1 for _ in t.open(encoding='utf-8')) - 1} sites"
        for t in sorted(out.glob("siting_*.csv"))
    )
    result.line = (
        f"Python {minor}: ok ({timing}); {len(list(out.iterdir()))} outputs; {sites}; "
        f"{versions(bindir / 'python')}"
    )
    return result


def build_wheel(base: Path) -> Path:
    """A wheel of this checkout (no dependencies), built once for every venv."""
    dist = base / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)]
    run(cmd, base / "wheel-log.txt", base)
    (wheel,) = dist.glob("tianhe_geo-*.whl")
    return wheel


def main() -> int:
    """Check every admitted Python but this one; print one line each and a closing count."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1, help="Pythons checked at once (default 1)")
    ap.add_argument("--only", action="append", help="check only this 3.X (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    current = f"{sys.version_info[0]}.{sys.version_info[1]}"
    minors = [m for m in admitted_minors() if m != current and (not args.only or m in args.only)]
    start = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="tianhe-geo-pythons-"))
    try:
        wheel = build_wheel(base)
        print(f"pythons: checking {', '.join(minors)} (main venv: {current}) in {base}", flush=True)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(lambda m: check(m, wheel, base), minors))
    except RuntimeError as exc:  # the wheel could not be built: nothing was checked
        print(f"pythons: FAILED to build the wheel: {exc}")
        outcomes = [Outcome(m) for m in minors]
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    for outcome in outcomes:
        if outcome.line:
            print(outcome.line)
    passed = sum(o.ok for o in outcomes)
    print(f"pythons: {time.perf_counter() - start:.0f} s in all")
    print(f"pythons: {passed} passed, {len(outcomes) - passed} failed")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
