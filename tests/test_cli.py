import subprocess
import sys
from pathlib import Path

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
    from tianhe_geo.data.io import write_vector

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
    assert main(["--layer", "parkz=x.gpkg", "layers"]) == 2
    assert "NAME=FILE" in capsys.readouterr().err
    assert main(["--layer", "parks=/nonexistent.gpkg", "layers"]) == 1
    assert "not found" in capsys.readouterr().err


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "tianhe_geo", "build", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "example:" in out.stdout


def test_unknown_command_exits_2(capsys):
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_build_with_gaode_and_detour(tmp_path, capsys):
    assert (
        main(
            [
                "build",
                "--out",
                str(tmp_path),
                "--tiles",
                "gaode",
                "--detour-factor",
                "1.3",
                "--no-siting",
            ]
        )
        == 0
    )
    report = (tmp_path / "report.md").read_text()
    assert "straight line × 1.3" in report
    assert "autonavi" in (tmp_path / "overview_zh.html").read_text()
    assert main(["build", "--out", str(tmp_path / "x"), "--detour-factor", "0.5"]) == 2
    assert "detour_factor" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "geojson", "shp"])
def test_export_every_format_reads_back(tmp_path, fmt, capsys):
    import pyogrio

    import tianhe_geo

    assert main(["export", "--format", fmt, "--out", str(tmp_path), "parks", "transit"]) == 0
    for name in ("parks", "transit"):
        paths = sorted(tmp_path.glob(f"{name}*.{fmt}"))
        # layer=0: an exported GeoPackage also holds its QGIS styles (layer_styles).
        read = __import__("geopandas").read_parquet if fmt == "parquet" else pyogrio.read_dataframe
        backs = [read(p) if fmt == "parquet" else read(p, layer=0) for p in paths]
        # Shapefiles hold one geometry type: transit's stations and lines are two files.
        assert len(paths) == (2 if fmt == "shp" and name == "transit" else 1)
        assert sum(map(len, backs)) == len(tianhe_geo.load_layer(name))
        assert all(b.crs.to_epsg() == 4326 for b in backs)
        # The file validates as the layer it came from (shapefile names are cut to 10 chars).
        if fmt != "shp":
            assert main(["validate", str(paths[0]), "--as", name]) == 0
    assert "wrote" in capsys.readouterr().err


def test_export_unknown_layer(tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path), "parkz"]) == 2
    assert "unknown layers ['parkz']" in capsys.readouterr().err


def test_export_of_an_optional_layer_the_data_lacks(tmp_path, capsys):
    # buildings are not shipped: named, it is refused; by default it is skipped.
    assert main(["export", "--out", str(tmp_path), "buildings"]) == 2
    assert "['buildings'] are not in the data" in capsys.readouterr().err


def test_coverage_standard_prints_table_and_writes_outputs(tmp_path, capsys):
    import geopandas as gpd
    import pandas as pd

    csv = tmp_path / "c.csv"
    assert main(["coverage", "--standard", "park-500", "--out", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "天河区 Tianhe District" in out and "share_%_500" in out
    table = pd.read_csv(csv, index_col=0, dtype={"group": str})
    assert len(table) == 22 and table.loc["district", "share_500"] <= 1
    gpkg = tmp_path / "h.gpkg"
    args = ["coverage", "--facilities", "facilities", "--where", "category=hospital"]
    assert main([*args, "--threshold", "800", "--threshold", "1500", "--out", str(gpkg)]) == 0
    polys = gpd.read_file(gpkg)
    assert {"share_800", "share_1500"} <= set(polys.columns) and polys.crs.to_epsg() == 4326
    assert (polys["share_800"] <= polys["share_1500"]).all()
    assert len(gpd.read_file(tmp_path / "h_uncovered.gpkg")) == 2


def test_coverage_matches_the_python_api(capsys, tmp_path):
    import pandas as pd

    import tianhe_geo
    from tianhe_geo.plan.compliance import run_standard

    out = tmp_path / "x.csv"
    assert main(["coverage", "--standard", "life15-health", "--out", str(out)]) == 0
    cli = pd.read_csv(out, index_col=0)
    api = run_standard(tianhe_geo.load_layers(), "life15-health").summary
    assert cli.loc["district", "share_1000"] == pytest.approx(api.loc["district", "share_1000"])


def test_radius_overrides_reach_the_analysis(capsys, tmp_path):
    from dataclasses import replace

    import pandas as pd

    import tianhe_geo
    from tianhe_geo.foundation.config import DEFAULT_CONFIG
    from tianhe_geo.plan.compliance import run_standard

    out = tmp_path / "x.csv"
    argv = ["coverage", "--standard", "park-tiered", "--out", str(out)]
    argv += ["--radius", "park-tiered:city=300", "--radius", "park-tiered:ecological=700"]
    assert main(argv) == 0
    cli = pd.read_csv(out, index_col=0)
    config = replace(DEFAULT_CONFIG, radii={"park-tiered": {"city": 300, "ecological": 700}})
    api = run_standard(tianhe_geo.load_layers(), "park-tiered", config)
    # The largest radius names the column: 700 m now, not the preset's 2,000 m.
    assert cli.loc["district", "share_700"] == pytest.approx(api.share()["district"])
    preset = run_standard(tianhe_geo.load_layers(), "park-tiered").share()["district"]
    assert api.share()["district"] < preset


@pytest.mark.parametrize(
    ("argv", "message", "code"),
    [
        (["coverage"], "give --standard KEY", 2),
        (["coverage", "--facilities", "parks"], "at least one --threshold", 2),
        (
            ["coverage", "--facilities", "parks", "--where", "tier", "--threshold", "5"],
            "--where",
            2,
        ),
        (
            ["coverage", "--facilities", "parks", "--where", "kind=x", "--threshold", "5"],
            "no column",
            2,
        ),
        (["coverage", "--standard", "park-500", "--threshold", "-5"], "--threshold", 2),
        (["coverage", "--standard", "park-500", "--out", "x.xlsx"], ".xlsx", 2),
        (["coverage", "--standard", "park-500", "--osm", "/no/such.osm"], "not found", 1),
        (["scenario", "run", "/no/such.yaml"], "not found", 1),
        (["maps", "--only", "atlas"], "unknown maps", 2),
        (["site", "lscp", "--standard", "green-300", "--target", "1.5"], "between 0 and 1", 2),
        (["site", "mclp", "--standard", "green-300", "--k", "-1"], "whole number >= 1", 2),
        (["site", "mclp", "--standard", "green-300", "--k", "2", "--spacing", "0"], "spacing", 2),
        (["coverage", "--standard", "park-500", "--radius", "park-500=far"], "--radius expects", 2),
        (["coverage", "--standard", "park-500", "--radius", "park-tiered:zoo=9"], "'zoo'", 2),
        (["coverage", "--standard", "park-500", "--radius", "nope=9"], "unknown standards", 2),
        (["build", "--detour-factor", "0.5"], "detour_factor", 2),
        (["scenario", "run", "--standard", "nope"], "unknown standards", 2),
        (["export", "parkz"], "unknown layers ['parkz']", 2),
        (["indicators", "--out", "x.xlsx"], ".csv", 2),
    ],
)
def test_bad_arguments_give_one_clear_line(argv, message, code, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    err = capsys.readouterr().err
    # argparse's own errors add its usage line above; ours are one line.
    last = err.strip().splitlines()[-1]
    assert message in last and "Traceback" not in err and "internal error" not in err
    assert last.startswith(("tianhe-geo: error:", "usage:")) or "error:" in last
    if code == 1 or "tianhe-geo: error:" in err.splitlines()[0]:
        assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(tianhe_geo_error()):
        main(["--debug", "export", "--out", str(tmp_path), "nope"])


def tianhe_geo_error():
    from tianhe_geo import TianheGeoError

    return TianheGeoError


def test_indicators_and_quiet(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "i.csv"
    assert main(["indicators", "--out", str(out)]) == 0
    assert "park_m2_per_resident" in capsys.readouterr().out
    assert set(pd.read_csv(out, index_col=0).columns) >= {"value", "target", "gap", "met"}
    # --quiet silences status, not the data asked for.
    assert main(["-q", "indicators"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and "park_m2_per_resident" in quiet.out


def test_maps_one_language_no_basemap(tmp_path, capsys):
    assert (
        main(["maps", "--only", "parks", "--lang", "zh", "--tiles", "none", "--out", str(tmp_path)])
        == 0
    )
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["index.html", "parks_zh.html"]
    page = (tmp_path / "parks_zh.html").read_text()
    assert "tile.openstreetmap" not in page and "公园" in page


def test_scenario_run_on_the_plan(tmp_path, capsys):
    import pandas as pd

    argv = ["scenario", "run", "--standard", "life15-health", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "features changed" in out.err and "life15-health" in out.out
    table = pd.read_csv(tmp_path / "scenario_plan2025_standards.csv", index_col=0)
    assert list(table.index) == ["life15-health"]
    assert table.loc["life15-health", "share_after"] >= table.loc["life15-health", "share_before"]


def test_report_command_writes_html_and_markdown(tmp_path, capsys):
    argv = ["-q", "report", "--no-scenario", "--no-siting", "--lang", "zh"]
    stamp = "2026-01-02 03:04 UTC <b>"  # a fixed timestamp, shown as text
    assert main([*argv, "--out", str(tmp_path), "--generated", stamp]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "Scenario:" not in page and "siting" not in page
    assert page.count("<iframe") == 2 and "公园" in page
    assert "2026-01-02 03:04 UTC &lt;b&gt;" in page and "<b>" not in page
    assert (tmp_path / "report.md").exists() and capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "command",
    [
        "layers",
        "validate",
        "export",
        "coverage",
        "indicators",
        "maps",
        "report",
        "build",
        "scenario",
    ],
)
def test_every_command_help_has_an_example(command):
    out = subprocess.run(
        [sys.executable, "-m", "tianhe_geo", command, "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "example:" in out.stdout


def test_site_mclp_with_own_candidates(tmp_path, capsys):
    import geopandas as gpd
    import pandas as pd

    import tianhe_geo
    from tianhe_geo.foundation.crs import ANALYSIS_CRS

    # Candidates: the centroids of the five most populous residents' cells.
    res = tianhe_geo.load_layer("residents").to_crs(ANALYSIS_CRS)
    top = res.nlargest(5, "population")
    cand = gpd.GeoDataFrame(geometry=top.geometry.centroid.to_numpy(), crs=ANALYSIS_CRS)
    cand.index = [f"mine-{i}" for i in range(5)]
    path = tmp_path / "cand.geojson"
    cand.to_crs("EPSG:4326").to_file(path)
    argv = ["site", "mclp", "--standard", "life5-elderly", "--k", "2", "--candidates", str(path)]
    assert main([*argv, "--lang", "en", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Optimal" in out
    sites = pd.read_csv(tmp_path / "siting_mclp_life5-elderly_300m.csv")
    assert len(sites) <= 2 and (sites["new_covered_pop"] > 0).all()
    assert (tmp_path / "siting_mclp_life5-elderly_300m_en.html").exists()


def test_coverage_by_street_network_from_an_osm_file(tmp_path, capsys):
    import pandas as pd

    osm = Path(__file__).parent / "fixtures" / "grid.osm"  # a 400 m hand-made grid in Tianhe
    out = tmp_path / "net.csv"
    argv = ["coverage", "--standard", "life15-health", "--osm", str(osm), "--group", "district"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "street network" in capsys.readouterr().err
    table = pd.read_csv(out, index_col=0)
    row = table.loc["district"]
    # Only residents within 200 m of the small grid are measured; the rest are unknown.
    assert row["population"] > 0 and row["unknown_pop"] > 10 * row["population"]
    covered = row["covered_pop_1000"] + row["uncovered_pop_1000"]
    assert covered == pytest.approx(row["population"], abs=1)
