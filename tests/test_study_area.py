"""A study area other than Tianhe, end to end: ``import osm`` -> ``--data DIR`` -> tables and maps.

The area is a hand-made extract of a Shenzhen district (福田区, two subdistricts);
residents are added by hand, as a census import would. Nothing may say 天河区, and
every map must fit the area's own bounds.
"""

import json
from pathlib import Path

import geopandas as gpd
import pytest

from tests.data.test_osm_import import _osm_xml
from tianhe_geo.cli import main

BOX = (114.0, 22.5, 114.1, 22.58)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("area")
    rels = [
        (1, 6, "福田区", BOX),
        (11, 8, "甲街道", (114.0, 22.5, 114.05, 22.58)),
        (12, 8, "乙街道", (114.05, 22.5, 114.1, 22.58)),
    ]
    extract = _osm_xml(root / "futian.osm", rels)
    out = root / "data"
    assert main(["-q", "import", "osm", str(extract), "--out", str(out)]) == 0
    sub = gpd.read_file(out / "subdistricts.geojson")
    # The extract has no population tags; a census table gives them (as residents do below).
    sub.assign(population=[1000, 3000]).to_file(out / "subdistricts.geojson")
    cells = sub.to_crs("EPSG:32650").centroid.buffer(800).to_crs("EPSG:4326")
    gpd.GeoDataFrame(
        {
            "id": ["c1", "c2"], "subdistrict": list(sub["code"]), "population": [1000.0, 3000.0],
            "modelled": [True, True], "name_zh": ["格1", "格2"], "name_en": ["c1", "c2"],
            "source": ["test", "test"], "accuracy_m": [100.0, 100.0],
        },
        geometry=list(cells), crs="EPSG:4326",
    ).to_file(out / "residents.geojson")  # fmt: skip
    return out


def test_total_row_is_named_after_the_boundary(folder, capsys):
    args = ["--data", str(folder), "coverage", "--standard", "park-500", "--format", "json"]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    total = [r for r in rows if r["group"] == "district"]
    assert total[0]["name"].startswith("福田区") and total[0]["population"] == 4000
    assert "天河" not in json.dumps(rows, ensure_ascii=False)


def test_maps_fit_the_study_area(folder, tmp_path, capsys):
    out = tmp_path / "maps"
    args = ["--data", str(folder), "maps", "--only", "overview", "--lang", "zh", "--out", str(out)]
    assert main(args) == 0
    assert "sdg-11.2.1-rail" in capsys.readouterr().err  # no transit layer: said, not failed
    html = (out / "overview_zh.html").read_text(encoding="utf-8")
    assert "[[22.5, 114.0], [22.58, 114.1]]" in html
    assert "center: [22.54, 114.05]" in html
    assert "天河" not in html


def test_missing_layer_of_another_area_is_named(folder, tmp_path, capsys):
    lean = tmp_path / "lean"
    lean.mkdir()
    (lean / "boundary.geojson").write_bytes((folder / "boundary.geojson").read_bytes())
    assert main(["--data", str(lean), "coverage", "--standard", "park-500"]) == 1
    err = capsys.readouterr().err
    assert "needs the layer(s) ['subdistricts', 'residents']" in err


def test_folder_without_boundary_refines_the_shipped_area(tmp_path, capsys):
    # Only facilities in the folder: the shipped Tianhe layers fill the rest.
    gpd.GeoDataFrame(
        {"id": ["f1"], "category": ["kindergarten"], "status": ["existing"], "beds": [None],
         "doctors": [None], "places": [None], "name_zh": ["某幼儿园"], "name_en": ["K"],
         "source": ["test"], "accuracy_m": [10.0]},
        geometry=gpd.points_from_xy([113.33], [23.13]), crs="EPSG:4326",
    ).to_file(tmp_path / "facilities.geojson")  # fmt: skip
    assert main(["--data", str(tmp_path), "layers", "--format", "json"]) == 0
    rows = {r["layer"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["facilities"]["features"] == 1
    assert rows["facilities"]["file"] == str(tmp_path / "facilities.geojson")
    assert Path(rows["residents"]["file"]).parent.name == "geo"  # the shipped one


def test_import_residents_from_a_point_table(folder, tmp_path, capsys):
    out = tmp_path / "d"
    out.mkdir()
    for name in ("boundary", "subdistricts"):
        (out / f"{name}.geojson").write_bytes((folder / f"{name}.geojson").read_bytes())
    csv = tmp_path / "xiaoqu.csv"
    csv.write_text('name,人口,location\n小区甲,1234,"114.02,22.53"\n小区乙,766,"114.08,22.55"\n')
    assert main(["import", "residents", str(csv), "--population", "人口", "--out", str(out)]) == 0
    assert "2,000 residents" in capsys.readouterr().err
    res = gpd.read_file(out / "residents.geojson")
    assert res["population"].tolist() == [1234, 766]
    # West point in relation 11, east point in relation 12 (codes from the relation ids).
    assert res["subdistrict"].tolist() == ["osm-r11", "osm-r12"]
