"""The hostile-input corpus (#15): every bad input gets one clear line, never a traceback.

Each case runs the command line through ``tianhe_geo.cli.main`` (and, where a
Python call is the natural entry, the API) and checks the exit status, that
the error is one line naming the file and the row, column or key at fault
and what was expected, and that nothing was written. Most cases stop before
any analysis; the few that must run one use ``validate``, ``coverage
--standard park-500``, ``scenario run --standard park-500`` or ``maps --only
... --lang en``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import tianhe_geo
from tianhe_geo import TianheGeoError
from tianhe_geo.cli import main
from tianhe_geo.data.io import geometry_families, split_layer_suffix, write_vector
from tianhe_geo.data.layers import read_layer_file
from tianhe_geo.data.paths import data_dir
from tianhe_geo.data.scenario_spec import read_scenario
from tianhe_geo.foundation.crs import ANALYSIS_CRS

PARK500 = ["--standard", "park-500"]


@pytest.fixture(scope="module")
def layers():
    return tianhe_geo.load_layers()


@pytest.fixture
def quiet_dir(tmp_path, monkeypatch):
    """An empty working folder: a command that fails must leave it empty."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_clear_line(err: str, *words: str) -> str:
    """The error is one line, ours, naming what it must; no traceback, no crash."""
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tianhe-geo: error: "), err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _nothing_written(*folders: Path) -> None:
    for folder in folders:
        assert not folder.exists() or list(folder.iterdir()) == [], list(folder.iterdir())


# ---- scenario files -------------------------------------------------------------------

_FAC = "changes:\n  - {layer: facilities, action: "
YAML_CASES = {
    # name: (document, words the one line must hold)
    "ids_number": (
        _FAC + "remove, ids: 5}\n",
        ["change #1 key 'ids'", "expected a list", "the number 5"],
    ),
    "ids_text": (_FAC + "remove, ids: abc}\n", ["key 'ids'", "expected a list", "the text 'abc'"]),
    "file_number": (
        "changes:\n  - {layer: parks, action: add, file: 5}\n",
        ["key 'file'", "vector file", "the number 5"],
    ),
    "values_list": (
        _FAC + "set, ids: [x], values: [1, 2]}\n",
        ["key 'values'", "mapping of column to new value", "a list"],
    ),
    "where_list": (
        _FAC + "set, where: [status, planned], values: {status: existing}}\n",
        ["key 'where'", "mapping of column", "a list"],
    ),
    "layer_null": (
        "changes:\n  - {layer: null, action: remove, ids: [x]}\n",
        ["key 'layer'", "one of boundary", "nothing (null)"],
    ),
    "layer_missing": ("changes:\n  - {action: remove, ids: [x]}\n", ["key 'layer' is missing"]),
    "value_type": (
        _FAC + "set, ids: [x], values: {beds: many}}\n",
        ["column 'beds'", "expected a number or null", "'many'"],
    ),
    "set_id": (_FAC + "set, ids: [x], values: {id: y}}\n", ["cannot set 'id'"]),
    "top_key": ("name: x\nchanges: []\nchangez: []\n", ["unknown key 'changez'"]),
    "not_mapping": ("- just a list\n", ["expected a mapping with a 'changes' list"]),
    "add_ids": (
        "changes:\n  - {layer: parks, action: add, file: p.geojson, ids: [x]}\n",
        ["'ids' has no meaning for action 'add'"],
    ),
    "add_no_file": ("changes:\n  - {layer: parks, action: add}\n", ["'add' needs key 'file'"]),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_malformed_scenario_names_change_and_key(case, tmp_path, quiet_dir, capsys):
    text, words = YAML_CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = _run(["scenario", "run", str(path), *PARK500, "--out", str(out)], capsys)
    assert code == 1
    _one_clear_line(err, f"{case}.yaml", *words)
    _nothing_written(out, quiet_dir)
    with pytest.raises(TianheGeoError):  # the API raises tianhe-geo's own error, not yaml's
        read_scenario(path)


def test_scenario_saved_in_gbk(tmp_path, quiet_dir, capsys):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 两个公园\nchanges: []\n".encode("gbk"))
    code, _, err = _run(["scenario", "run", str(path), *PARK500, "--out", "o"], capsys)
    assert code == 1
    _one_clear_line(err, "gbk.yaml", "not UTF-8", "GBK", "save the scenario as UTF-8")
    _nothing_written(quiet_dir)


def test_alias_bomb_is_refused_before_it_expands(tmp_path, quiet_dir, capsys):
    # Nine levels of nine aliases: 9**9 (387 million) strings once expanded.
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nchanges: [*a8]\n", encoding="utf-8")
    assert path.stat().st_size < 600
    start = time.perf_counter()
    code, _, err = _run(["scenario", "run", str(path), *PARK500, "--out", "o"], capsys)
    assert code == 1 and time.perf_counter() - start < 5
    _one_clear_line(err, "bomb.yaml", "refused", "alias")
    _nothing_written(quiet_dir)


def test_too_many_aliases_and_oversized_document(tmp_path):
    many = "a: &a x\nb: [" + ",".join(["*a"] * 150) + "]\nchanges: []\n"
    (tmp_path / "many.yaml").write_text(many, encoding="utf-8")
    with pytest.raises(TianheGeoError, match="more than 100 YAML aliases"):
        read_scenario(tmp_path / "many.yaml")
    big = "changes: []\n" + "# padding\n" * 120_000
    (tmp_path / "big.yaml").write_text(big, encoding="utf-8")
    with pytest.raises(
        TianheGeoError, match=r"big\.yaml: [\d,]+ bytes; a scenario file holds at most 1,000,000"
    ):
        read_scenario(tmp_path / "big.yaml")


def _new_park(layers, pid: str = "park-new") -> gpd.GeoDataFrame:
    """A 1 ha pocket park on the most populous residents' cell."""
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    c = res.geometry.centroid[res["population"].idxmax()]
    sq = shapely.box(c.x - 50, c.y - 50, c.x + 50, c.y + 50)
    return gpd.GeoDataFrame(
        {
            "id": [pid],
            "name_zh": ["新公园"],
            "name_en": ["New park"],
            "tier": ["pocket"],
            "area_ha": [1.0],
            "approximate": [True],
            "source": ["test"],
            "accuracy_m": [10.0],
        },
        geometry=[sq],
        crs=ANALYSIS_CRS,
    ).to_crs("EPSG:4326")


def test_scenario_file_outside_its_folder_needs_permission(tmp_path, quiet_dir, capsys, layers):
    (tmp_path / "elsewhere").mkdir()
    write_vector(_new_park(layers), tmp_path / "elsewhere" / "park.geojson")
    folder = tmp_path / "scenario"
    folder.mkdir()
    path = folder / "s.yaml"
    for target in ("../elsewhere/park.geojson", str(tmp_path / "elsewhere" / "park.geojson")):
        path.write_text(
            f"changes:\n  - {{layer: parks, action: add, file: '{target}'}}\n", encoding="utf-8"
        )
        code, _, err = _run(["scenario", "run", str(path), *PARK500, "--out", "o"], capsys)
        assert code == 1
        _one_clear_line(err, "s.yaml change #1", "key 'file'", "outside the scenario's folder")
        _nothing_written(quiet_dir)
    # Allowed, it runs (and the new park gains residents).
    out = tmp_path / "out"
    argv = ["scenario", "run", str(path), *PARK500, "--allow-outside", "--out", str(out)]
    argv += ["--format", "json"]
    code, stdout, err = _run(argv, capsys)
    assert code == 0, err
    row = json.loads(stdout)[0]
    assert row["standard"] == "park-500" and row["lost_pop"] == 0
    assert "1 features changed" in err


def test_set_file_without_id_column_or_with_unknown_id(tmp_path, quiet_dir, capsys, layers):
    clinic = layers["facilities"].index[0]
    moved = layers["facilities"].loc[[clinic]].reset_index(drop=True)
    write_vector(moved.drop(columns="id"), tmp_path / "noid.geojson")
    write_vector(moved.assign(id="fac-nowhere"), tmp_path / "unknown.geojson")
    for name, words, code_expected in (
        ("noid", ["key 'file'", "has no 'id' column", "by their 'id'"], 1),
        ("unknown", ["no 'facilities' features with ids ['fac-nowhere']"], 1),
    ):
        path = tmp_path / f"{name}.yaml"
        text = f"changes:\n  - {{layer: facilities, action: set, file: {name}.geojson}}\n"
        path.write_text(text, encoding="utf-8")
        out = tmp_path / f"out_{name}"
        code, _, err = _run(["scenario", "run", str(path), *PARK500, "--out", str(out)], capsys)
        assert code == code_expected
        _one_clear_line(err, f"{name}.yaml change #1", *words)
        _nothing_written(out, quiet_dir)


def _geojson_scenario(tmp_path: Path, rows: list[dict]) -> Path:
    frame = gpd.GeoDataFrame(rows, geometry=[None] * len(rows), crs="EPSG:4326")
    return write_vector(frame, tmp_path / "edits.geojson")


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (
            [{"layer": "facilities", "action": "set", "id": None, "status": "existing"}],
            ["feature #1", "property 'id' is empty", "by its 'id'"],
        ),
        (
            [
                {"layer": "facilities", "action": "remove", "id": "fac-hosp-zssy"},
                {"layer": None, "action": "remove", "id": "fac-hosp-zssy"},
            ],
            ["feature #2", "key 'layer'", "nothing (null)"],
        ),
        ([{"layer": "parks", "action": "paint", "id": "x"}], ["feature #1", "key 'action'"]),
        ([{"action": "remove", "id": "x"}], ["every feature needs the property 'layer'"]),
    ],
)
def test_geojson_scenario_features(rows, words, tmp_path, quiet_dir, capsys):
    path = _geojson_scenario(tmp_path, rows)
    code, _, err = _run(["scenario", "run", str(path), *PARK500, "--out", "o"], capsys)
    assert code == 1
    _one_clear_line(err, "edits.geojson", *words)
    _nothing_written(quiet_dir)


# ---- layers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def residents_text(tmp_path_factory, layers):
    """The residents with population stored as text ("218.37"), as a spreadsheet export does."""
    res = layers["residents"].reset_index(drop=True)
    res["population"] = res["population"].map(lambda v: f"{v:.2f}")
    path = tmp_path_factory.mktemp("res") / "residents_text.parquet"  # quick to write and read
    res.to_parquet(path)
    return path


def test_population_as_text_is_converted(residents_text, layers, tmp_path, capsys):
    gdf = read_layer_file(residents_text, "residents")
    assert pd.api.types.is_float_dtype(gdf["population"].dtype)
    want = layers["residents"]["population"].sum()
    assert gdf["population"].sum() == pytest.approx(want, abs=0.01 * len(gdf))
    argv = ["--layer", f"residents={residents_text}", "coverage", *PARK500, "--format", "csv"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    table = pd.read_csv(__import__("io").StringIO(out), index_col=0, dtype={"group": str})
    assert table.loc["district", "population"] == pytest.approx(want, rel=1e-6)


def test_population_not_a_number_is_named(tmp_path, layers, capsys):
    res = layers["residents"].reset_index(drop=True).head(50)
    res["population"] = res["population"].astype(object)
    res.loc[3, "population"] = "many"
    path = write_vector(res, tmp_path / "r.geojson")
    code, _, err = _run(["validate", str(path), "--as", "residents"], capsys)
    assert code == 1
    _one_clear_line(err, "r.geojson", "column 'population'", "non-negative number", "rows 3")


def test_unknown_subdistrict_codes_are_refused(tmp_path, layers, quiet_dir, capsys):
    res = layers["residents"].reset_index(drop=True)
    res.loc[:4, "subdistrict"] = "440106999"
    path = write_vector(res, tmp_path / "res_codes.parquet")
    argv = ["--layer", f"residents={path}", "coverage", *PARK500, "--out", "c.csv"]
    code, _, err = _run(argv, capsys)
    assert code == 1
    _one_clear_line(err, "res_codes.parquet", "column 'subdistrict'", "['440106999']", "5 row(s)")
    _nothing_written(quiet_dir)
    with pytest.raises(TianheGeoError, match="not in the subdistricts layer"):
        tianhe_geo.load_layers({"residents": path})


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ["the file is empty", "expected a UTF-8 CSV with a header row: indicator, value"]),
        ("indicator,value\n公园,1\n".encode("gbk"), ["not UTF-8", "GBK"]),
        (b"indicator,value\n", ["missing column(s) ['unit',", "expected the columns"]),
    ],
)
def test_bad_facts_csv(content, words, tmp_path, quiet_dir, capsys):
    path = tmp_path / "facts.csv"
    path.write_bytes(content)
    code, _, err = _run(["indicators", "--facts", str(path), "--out", "i.csv"], capsys)
    assert code == 1
    line = _one_clear_line(err, "facts.csv", *words[:1])
    assert all(w in line for w in words)
    _nothing_written(quiet_dir)


def test_maps_and_analysis_without_a_category(tmp_path, layers, capsys):
    fac = layers["facilities"]
    # No community health centre, and (second file) no health facility at all.
    no_chc = fac[fac["category"] != "community_health"].reset_index(drop=True)
    no_chc = write_vector(no_chc, tmp_path / "no_chc.geojson")
    health = fac["category"].isin(["hospital", "community_health"])
    no_health = write_vector(fac[~health].reset_index(drop=True), tmp_path / "no_health.geojson")
    out = tmp_path / "maps"
    for path, only in ((no_chc, "parks"), (no_health, "health")):
        argv = ["--layer", f"facilities={path}", "maps", "--only", only, "--lang", "en"]
        code, _, err = _run([*argv, "--out", str(out)], capsys)
        assert code == 0, err
    page = (out / "health_en.html").read_text(encoding="utf-8")
    assert "0 Community health centre/Hospital counted" in page  # zero, and labelled
    result = tianhe_geo.analyse({**layers, "facilities": fac[~health]})
    assert result.results["life15-health"].share()["district"] == 0
    assert not result.doctors.measured


def _gbk_parks_shapefile(folder: Path, layers) -> Path:
    path = folder / "parks_gbk.shp"
    layers["parks"].reset_index(drop=True).to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as GIS tools of the 2000s wrote them
    return path


def test_gbk_shapefile_without_cpg(tmp_path, layers, capsys):
    with warnings.catch_warnings():  # GDAL cuts names to 10 characters, 'source' to 254 bytes
        warnings.simplefilter("ignore")
        path = _gbk_parks_shapefile(tmp_path, layers)
    code, _, err = _run(["validate", str(path), "--as", "parks"], capsys)
    assert code == 1
    line = _one_clear_line(err, "parks_gbk.shp", "column 'name_zh'", "parks_gbk.cpg", "GBK")
    assert "华南国家植物园" in line  # what the garbled text says
    assert main(["validate", str(path), "--as", "parks", "--encoding", "gbk"]) == 0
    path.with_suffix(".cpg").write_text("GBK")
    assert len(read_layer_file(path, "parks")) == len(layers["parks"])
    assert "华南国家植物园" in set(read_layer_file(path, "parks")["name_zh"])
    # A .cpg that lies (UTF-8 over GBK bytes) is a decode failure, said so.
    path.with_suffix(".cpg").write_text("UTF-8")
    code, _, err = _run(["validate", str(path), "--as", "parks"], capsys)
    assert code == 1
    _one_clear_line(err, "parks_gbk.shp", "not in the encoding it declares", ".cpg")


@pytest.mark.parametrize("name", ["subdistricts", "transit", "parks", "residents"])
def test_shapefile_names_cut_to_ten_characters_read_back(name, tmp_path, layers, capsys):
    gdf = layers[name].reset_index(drop=True)
    families = geometry_families(gdf)
    part = next(iter(families.values())) if len(families) > 1 else gdf
    path = write_vector(part, tmp_path / f"{name}.shp")
    dbf_names = set(gpd.read_file(path, engine="pyogrio").columns)
    assert all(len(c) <= 10 for c in dbf_names)  # approximat, subdistric, interchang, layer_comp
    back = read_layer_file(path, name)
    assert set(layers[name].columns) <= set(back.columns)
    assert main(["validate", str(path), "--as", name]) == 0
    for column in ("approximate", "subdistrict", "interchange", "layer_complete"):
        if column in part.columns:  # values, not only names, come back
            assert back[column].tolist() == part[column].tolist(), column


# ---- reader errors --------------------------------------------------------------------


def _junk(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    gpkg = data_dir() / "parks.geojson"
    (folder / "junk.gpkg").write_text("hello")
    (folder / "empty.geojson").write_bytes(b"")
    (folder / "bad.geojson").write_text('{"type": "FeatureCollection", "features": [')
    (folder / "bad.parquet").write_text("x")
    parks = gpd.read_file(gpkg)
    parks.to_file(folder / "whole.gpkg", layer="parks")
    data = (folder / "whole.gpkg").read_bytes()
    (folder / "cut.gpkg").write_bytes(data[:5000])
    write_vector(parks, folder / "nodbf.shp")
    (folder / "nodbf.dbf").unlink()
    (folder / "folder.geojson").mkdir()
    return {
        "junk.gpkg": (folder / "junk.gpkg", ["expected a GeoPackage (an SQLite database"]),
        "empty.geojson": (folder / "empty.geojson", ["the file is empty (0 bytes)", "GeoJSON"]),
        "bad.geojson": (folder / "bad.geojson", ["expected a GeoJSON file"]),
        "bad.parquet": (folder / "bad.parquet", ["expected a GeoParquet file"]),
        "cut.gpkg": (folder / "cut.gpkg", ["expected a GeoPackage"]),
        "nodbf.shp": (folder / "nodbf.shp", [".dbf missing beside it", "expected a shapefile"]),
        "folder.geojson": (folder / "folder.geojson", ["is a folder"]),
        "parks.kml": (folder / "parks.kml", ["unsupported file type '.kml'"]),
    }


@pytest.mark.parametrize(
    "case",
    ["junk.gpkg", "empty.geojson", "bad.geojson", "bad.parquet", "cut.gpkg", "nodbf.shp",
     "folder.geojson", "parks.kml"],
)  # fmt: skip
def test_reader_errors_say_what_was_expected(case, tmp_path, capsys):
    path, words = _junk(tmp_path)[case]
    if case == "parks.kml":
        path.write_text("<kml/>")
    code, _, err = _run(["validate", str(path), "--as", "parks"], capsys)
    assert code == 1
    line = _one_clear_line(err, case, *words)
    assert "<DRIVER>" not in line and "prefix" not in line
    code, _, err = _run(["--layer", f"parks={path}", "layers"], capsys)
    assert code == 1
    _one_clear_line(err, case, *words)


def test_a_layer_inside_a_geopackage(tmp_path, layers, capsys):
    path = tmp_path / "plan.gpkg"
    parks = layers["parks"].reset_index(drop=True)
    parks.to_file(path, layer="mine")
    parks.head(3).to_file(path, layer="other")
    code, out, _ = _run(["--layer", f"parks={path}:other", "layers", "--format", "json"], capsys)
    assert code == 0
    row = next(r for r in json.loads(out) if r["layer"] == "parks")
    assert row["features"] == 3 and row["file"] == f"{path}:other"
    code, _, err = _run(["--layer", f"parks={path}:nope", "layers"], capsys)
    assert code == 1
    _one_clear_line(err, "plan.gpkg", "no layer 'nope'", "its layers: mine, other")
    code, _, err = _run(["--layer", f"parks={path}", "layers"], capsys)
    assert code == 1
    _one_clear_line(err, "plan.gpkg", "holds 2 layers (mine, other)", "plan.gpkg:mine")
    assert main(["validate", f"{path}:mine", "--as", "parks"]) == 0
    assert len(tianhe_geo.load_layer("parks", {"parks": (path, "other")})) == 3


def test_file_layer_syntax_and_windows_paths(tmp_path):
    assert split_layer_suffix(r"C:\gis\plan.gpkg:parks") == (r"C:\gis\plan.gpkg", "parks")
    assert split_layer_suffix(r"C:\gis\plan.gpkg") == (r"C:\gis\plan.gpkg", None)
    assert split_layer_suffix("D:/gis/parks.geojson") == ("D:/gis/parks.geojson", None)
    assert split_layer_suffix("plan.gpkg:") == ("plan.gpkg:", None)
    assert split_layer_suffix("a:b/plan.gpkg") == ("a:b/plan.gpkg", None)
    # An existing file whose name holds ':' is that file, not FILE:LAYER.
    odd = tmp_path / "x.gpkg:y"
    odd.write_text("")
    assert split_layer_suffix(str(odd)) == (str(odd), None)


# ---- text that matplotlib would read as mathematics -----------------------------------


@pytest.mark.parametrize("name", [r"$\frac{1$ Street", "$x^2$ Park", "costs $5 and $6"])
def test_dollar_signs_in_chart_labels(name):
    import matplotlib.cbook

    from tianhe_geo.present import charts

    shares = pd.Series([0.2, 0.6], index=[name, "plain"])
    png = charts.share_by_subdistrict(shares, f"Scenario {name}", target=0.5)
    assert png.startswith(b"\x89PNG")
    assert not matplotlib.cbook.is_math_text(charts.plain_text(name))
    table = pd.DataFrame({"share_before": [0.1], "share_after": [0.2]}, index=[name])
    assert charts.scenario_change(table, name).startswith(b"\x89PNG")


# ---- a layer too large for a map ------------------------------------------------------


def test_a_huge_layer_is_counted_on_a_grid_and_said_so(tmp_path, layers, capsys):
    rng = np.random.default_rng(15)
    n = 25_000  # above the 20,000 features one map layer embeds
    sub = layers["subdistricts"].to_crs(ANALYSIS_CRS).union_all()
    x0, y0, x1, y1 = sub.bounds
    pts = shapely.points(rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n))
    pts = pts[shapely.within(pts, sub)][:n]
    projects = gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "kind": "road",
            "status": "planned",
            "name_zh": "项目",
            "name_en": "Project",
            "source": "test",
            "accuracy_m": 10.0,
        },
        geometry=pts,
        crs=ANALYSIS_CRS,
    ).to_crs("EPSG:4326")
    path = write_vector(projects, tmp_path / "projects.gpkg")
    out = tmp_path / "maps"
    argv = ["--layer", f"projects={path}", "maps", "--only", "overview", "--lang", "en"]
    code, _, err = _run([*argv, "--out", str(out)], capsys)
    assert code == 0, err
    assert "map too large to embed as given" in err and "25,000 features" in err
    page = (out / "overview_en.html").read_text(encoding="utf-8")
    assert "25,000 features, more than one map carries (20,000)" in page
    # Without the cap 25,000 points weigh about 12 MB; counted, the page stays small.
    assert len(page) < 6_000_000


def test_cap_counts_every_feature():
    from tianhe_geo.present.mapkit import add_layer, finish, new_map, render_html

    rng = np.random.default_rng(1)
    xy = gpd.points_from_xy(rng.uniform(113.3, 113.4, 5000), rng.uniform(23.1, 23.2, 5000))
    pts = gpd.GeoDataFrame(geometry=xy, crs="EPSG:4326").assign(name_zh="点", name_en="point")
    tm = add_layer(new_map("zh", "none"), pts, "点", [("name_zh", "名称")], max_features=300)
    assert tm.notes and "5000个要素" in tm.notes[0]
    page = render_html(finish(tm))
    # The popups travel as JSON, with < and > escaped.
    cell = r"\\u003c/th\\u003e\\u003ctd\\u003e(\d+)\\u003c/td\\u003e"
    counts = [int(c) for c in re.findall(cell, page)]
    assert 0 < len(counts) <= 300 and sum(counts) == 5000  # every feature counted once
    assert "5000个要素" in page and len(page) < 2_000_000  # the note, in the map's panel


# ---- the command line itself ----------------------------------------------------------


def test_version_and_options_after_the_command(capsys):
    code, out, _ = _run(["--version"], capsys)
    assert code == 0 and out.startswith(f"tianhe-geo {tianhe_geo.__version__}")
    parks = str(data_dir() / "parks.geojson")
    code, out, err = _run(["validate", parks, "--as", "parks", "-q"], capsys)
    assert code == 0 and "valid parks layer" in out and err == ""
    code, out, _ = _run(["layers", "-v", "--format", "csv"], capsys)
    assert code == 0 and out.startswith("layer,features,crs")
    code, _, err = _run(["layers", "-v", "-q"], capsys)
    assert code == 2 and "exclude each other" in err
    code, _, err = _run(["layers", "--layer", "parks=/no/such.gpkg"], capsys)
    assert code == 1
    _one_clear_line(err, "/no/such.gpkg", "file not found")


def test_data_on_stdout_status_on_stderr(tmp_path, capsys):
    out = tmp_path / "c.csv"
    code, stdout, stderr = _run(
        ["coverage", *PARK500, "--format", "json", "--out", str(out)], capsys
    )
    assert code == 0
    rows = json.loads(stdout)  # nothing but the data on stdout
    assert len(rows) == 22 and all(0 <= r["share_500"] <= 1 for r in rows)
    district = next(r for r in rows if r["group"] == "district")
    assert district["share_500"] == pytest.approx(
        pd.read_csv(out, index_col=0).loc["district", "share_500"]
    )
    assert "facilities; distance:" in stderr and f"wrote {out}" in stderr
    code, stdout, _ = _run(["coverage", *PARK500, "--format", "csv"], capsys)
    table = pd.read_csv(__import__("io").StringIO(stdout), index_col=0, dtype={"group": str})
    assert table.loc["district", "share_500"] == pytest.approx(district["share_500"])


def test_tables_align_next_to_chinese_text(capsys):
    from wcwidth import wcswidth

    code, out, _ = _run(["coverage", *PARK500], capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert any("街道" in line for line in lines)
    assert len({wcswidth(line) for line in lines}) == 1  # every row as wide on screen


def test_ctrl_c_ends_with_one_line_and_130(tmp_path):
    out = tmp_path / "maps"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tianhe_geo", "build", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A shell's background job inherits SIGINT ignored, and Python keeps it ignored:
        # give the child the default disposition a terminal user's process has.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(4)  # loading and analysing; nothing written yet
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "tianhe-geo: interrupted"
    assert "Traceback" not in err
    hidden = [p for p in out.rglob(".*")] if out.exists() else []
    assert hidden == []  # no temporary files left behind
    shutil.rmtree(out, ignore_errors=True)


# ---- the Python API raises tianhe-geo's own errors ------------------------------------

API_CASES = {
    "threshold_text": (lambda L, r, p: tianhe_geo.coverage(r, p, ["abc"]), "thresholds must be"),
    "group_missing": (lambda L, r, p: tianhe_geo.coverage(r, p, [500], group="ward"), "'ward'"),
    "cost_text": (
        lambda L, r, p: tianhe_geo.cost_table(r, p, "far", tianhe_geo.StraightLine()),
        "thresholds must be",
    ),
    "layer_dir": (lambda L, r, p: tianhe_geo.load_layer("parks", {"parks": "/"}), "unsupported"),
    "facts_dir": (
        lambda L, r, p: tianhe_geo.analyse(L, tianhe_geo.AnalysisConfig(plan_facts="/")),
        "is a folder",
    ),
    "scenario_ids_text": (
        lambda L, r, p: tianhe_geo.Change("parks", "remove", ids="abc"),
        "got the text 'abc'",
    ),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_api_raises_its_own_errors(case, layers):
    call, words = API_CASES[case]
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    parks = layers["parks"].to_crs(ANALYSIS_CRS)
    with pytest.raises(TianheGeoError, match=re.escape(words)):
        call(layers, res, parks)
