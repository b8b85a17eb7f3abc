import subprocess
import sys

import pytest

from tianhe_geo.cli import main


def test_layers_lists_every_layer(capsys):
    assert main(["layers"]) == 0
    out = capsys.readouterr().out
    for name in ("boundary", "subdistricts", "parks", "facilities", "transit"):
        assert name in out
    assert "EPSG:4326" in out


def test_validate_good_and_bad(tmp_path, capsys):
    import tianhe_geo
    from tianhe_geo.io import write_vector

    parks = tianhe_geo.load_layer("parks")
    good = write_vector(parks, tmp_path / "p.gpkg")
    assert main(["validate", str(good), "--as", "parks"]) == 0
    bad = parks.copy()
    bad["tier"] = "megapark"
    badf = write_vector(bad, tmp_path / "bad.geojson")
    assert main(["validate", str(badf), "--as", "parks"]) == 1
    err = capsys.readouterr().err
    assert "megapark" in err and "bad.geojson" in err and "Traceback" not in err


def test_bad_override_and_missing_file(capsys):
    assert main(["--layer", "parkz=x.gpkg", "layers"]) == 1
    assert "NAME=FILE" in capsys.readouterr().err
    assert main(["--layer", "parks=/nonexistent.gpkg", "layers"]) == 1
    assert "not found" in capsys.readouterr().err


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "tianhe_geo", "build", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "example:" in out.stdout


def test_unknown_command_exits_2():
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_build_with_gaode_and_detour(tmp_path, capsys):
    assert (
        main(["build", "--out", str(tmp_path), "--tiles", "gaode", "--detour-factor", "1.3"]) == 0
    )
    report = (tmp_path / "report.md").read_text()
    assert "straight line × 1.3" in report
    assert "autonavi" in (tmp_path / "overview_zh.html").read_text()
    assert main(["build", "--out", str(tmp_path / "x"), "--detour-factor", "0.5"]) == 1
    assert "detour_factor" in capsys.readouterr().err
