"""The shipped layers reach users who pip-install the wheel, not only a checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_and_loads_the_layers(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("tianhe_geo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for layer in ("boundary", "subdistricts", "parks", "facilities", "transit", "residents"):
        assert f"tianhe_geo/_data/geo/{layer}.geojson" in names
    assert "tianhe_geo/_data/geo/SOURCES.md" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import tianhe_geo; d = tianhe_geo.data_dir(); "
        "assert '_data' in str(d), d; print(len(tianhe_geo.load_layer('subdistricts')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "21"
