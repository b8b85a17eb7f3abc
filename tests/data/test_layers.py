import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

import tianhe_geo
from tianhe_geo import LayerSchemaError, UnknownLayerError
from tianhe_geo.data.io import write_vector
from tianhe_geo.data.schemas import SCHEMAS
from tianhe_geo.foundation.crs import ANALYSIS_CRS, from_wgs84_to

SHIPPED = [n for n in tianhe_geo.LAYER_NAMES if (tianhe_geo.data_dir() / f"{n}.geojson").exists()]


def test_all_base_layers_are_shipped():
    base = {
        "boundary",
        "subdistricts",
        "structure",
        "transit",
        "projects",
        "parks",
        "facilities",
        "rivers",
    }
    assert base <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_layer_loads_valid_in_wgs84(name):
    gdf = tianhe_geo.load_layer(name)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) > 0
    for col in SCHEMAS[name].all_columns:
        assert col in gdf.columns
    assert gdf.index.is_unique
    assert gdf["source"].str.len().min() > 0


def test_boundary_area_matches_official(boundary):
    area_km2 = boundary.to_crs(ANALYSIS_CRS).area.sum() / 1e6
    assert area_km2 == pytest.approx(137.38, rel=0.01)


def test_subdistricts_census(subdistricts):
    assert len(subdistricts) == 21
    codes = {f"4401060{n:02d}" for n in range(1, 23)} - {"440106005"}
    assert set(subdistricts["code"]) == codes
    # Rounded to 100 persons; the bulletin total is 2,241,826.
    assert abs(int(subdistricts["population"].sum()) - 2_241_826) <= 21 * 50
    assert subdistricts.loc["440106011", "population"] == 264_800
    assert subdistricts["approximate"].all()


def test_subdistricts_partition_boundary_exactly(subdistricts, boundary):
    sub = subdistricts.to_crs(ANALYSIS_CRS)
    bnd = boundary.to_crs(ANALYSIS_CRS).union_all()
    geoms = sub.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, "intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    gaps = shapely.symmetric_difference(shapely.union_all(geoms), bnd).area
    # Exact up to the 1e-7 degree (about 1 cm) storage grid: below 10 m2 in 137 km2.
    assert overlap < 1.0
    assert gaps < 10.0
    assert abs(sub.area.sum() - bnd.area) < 10.0


def test_unknown_layer_name():
    with pytest.raises(UnknownLayerError, match="known layers"):
        tianhe_geo.load_layer("parkz")


def _bad_parks(mixed_types: bool = True) -> gpd.GeoDataFrame:
    parks = tianhe_geo.load_layer("parks").head(6).copy()
    parks = parks.reset_index(drop=True)
    parks.loc[0, "tier"] = "megapark"  # unknown category
    parks.loc[1, "id"] = parks.loc[2, "id"]  # duplicate id
    parks.loc[3, "area_ha"] = np.nan  # NaN number
    bowtie = shapely.Polygon([(113.33, 23.13), (113.34, 23.14), (113.34, 23.13), (113.33, 23.14)])
    parks.loc[4, "geometry"] = bowtie  # invalid
    if mixed_types:  # a shapefile cannot hold two geometry types at all
        parks.loc[5, "geometry"] = Point(113.33, 23.13)  # wrong type
    return parks.drop(columns=["name_en"])  # missing column


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_bad_file_reports_every_problem(tmp_path, suffix):
    path = tmp_path / f"bad_parks{suffix}"
    write_vector(_bad_parks(mixed_types=suffix != ".shp"), path)
    with pytest.raises(LayerSchemaError) as info:
        tianhe_geo.read_layer_file(path, "parks")
    text = str(info.value)
    assert str(path) in text and "'parks'" in text
    expected = ["name_en", "megapark", "duplicate ids", "'area_ha'", "invalid geometry"]
    if suffix != ".shp":
        expected.append("Point")
    for fragment in expected:
        assert fragment in text, fragment
    assert len(info.value.problems) >= len(expected)
    assert isinstance(info.value, ValueError)


def test_missing_crs_and_outside_points(tmp_path):
    fac = tianhe_geo.load_layer("facilities").head(3).reset_index(drop=True)
    fac.loc[0, "geometry"] = Point(23.13, 113.33)  # lat/lon swapped
    path = tmp_path / "fac.geojson"
    write_vector(fac, path)
    with pytest.raises(LayerSchemaError, match="latitude and longitude swapped"):
        tianhe_geo.read_layer_file(path, "facilities")
    nocrs = tmp_path / "nocrs.parquet"
    fac.set_crs(None, allow_override=True).to_parquet(nocrs)
    with pytest.raises(LayerSchemaError, match="no CRS"):
        tianhe_geo.read_layer_file(nocrs, "facilities")


def test_gcj02_layer_is_reported(tmp_path, subdistricts):
    path = tmp_path / "sub_gcj.gpkg"
    write_vector(from_wgs84_to(subdistricts, "gcj02"), path)
    with pytest.raises(LayerSchemaError, match="GCJ-02"):
        tianhe_geo.read_layer_file(path, "subdistricts")


def test_override_swaps_in_user_layer(tmp_path, subdistricts):
    path = tmp_path / "sub.gpkg"
    mine = subdistricts.copy()
    mine["population"] = mine["population"] + 1
    write_vector(mine, path)
    got = tianhe_geo.load_layer("subdistricts", overrides={"subdistricts": path})
    assert (got["population"] == subdistricts["population"] + 1).all()


def test_empty_geometry_and_empty_layer(tmp_path):
    parks = tianhe_geo.load_layer("parks").head(2).reset_index(drop=True)
    parks.loc[0, "geometry"] = shapely.Polygon()
    path = tmp_path / "p.geojson"
    write_vector(parks, path)
    with pytest.raises(LayerSchemaError, match="empty geometry"):
        tianhe_geo.read_layer_file(path, "parks")
    write_vector(parks.iloc[:0], path)
    with pytest.raises(LayerSchemaError, match="no features"):
        tianhe_geo.read_layer_file(path, "parks")


def test_completeness_survives_concat_merge_and_file_round_trips(tmp_path):
    # 0.1 kept it in gdf.attrs, which pd.concat, merge and a GeoPackage dropped: the same
    # data then read "not met" instead of "unknown" depending on how it was assembled.
    import pandas as pd

    parks = tianhe_geo.load_layer("parks")
    assert not tianhe_geo.is_complete(parks)
    mine = parks.iloc[:1].drop(columns="layer_complete").assign(id="mine")
    mine.index = ["mine"]
    joined = gpd.GeoDataFrame(pd.concat([parks, mine]), crs=parks.crs)
    merged = parks.merge(pd.DataFrame({"id": parks["id"], "note": "x"}), on="id")
    for fmt in (".gpkg", ".geojson", ".parquet"):
        path = write_vector(parks.reset_index(drop=True), tmp_path / f"p{fmt}")
        again = tianhe_geo.read_layer_file(path, "parks")
        assert not tianhe_geo.is_complete(again), fmt
    assert not tianhe_geo.is_complete(joined) and not tianhe_geo.is_complete(merged)
    # A layer without the flag, or flagged complete, is taken at its word.
    assert tianhe_geo.is_complete(mine) and tianhe_geo.is_complete(
        parks.assign(layer_complete=True)
    )
    # The flag is checked like any column: text is refused, empty is allowed.
    from tianhe_geo.data.schemas import check_columns

    bad = parks.astype({"layer_complete": object})
    bad.loc[bad.index[0], "layer_complete"] = "no"
    bad.loc[bad.index[1], "layer_complete"] = None
    assert check_columns(bad, SCHEMAS["parks"]) == [
        f"column 'layer_complete': 1 row(s) not true, false or empty: rows {bad.index[0]!r}"
    ]


def test_loading_every_layer_reads_the_boundary_once(monkeypatch):
    from tianhe_geo.data import layers as layers_module

    calls = []
    real = layers_module.read_layer_file

    def counting(path, name, *args, **kwargs):
        calls.append(name)
        return real(path, name, *args, **kwargs)

    monkeypatch.setattr(layers_module, "read_layer_file", counting)
    loaded = tianhe_geo.load_layers()
    assert calls.count("boundary") == 1 and set(calls) == set(loaded)


def test_optional_columns_are_checked_only_when_present():
    from tianhe_geo.data.schemas import check_columns

    sub = tianhe_geo.load_layer("subdistricts").reset_index(drop=True)
    schema = SCHEMAS["subdistricts"]
    assert check_columns(sub, schema) == []
    # A user's own subdistrict layer need not carry the OSM relation id ...
    assert check_columns(sub.drop(columns="osm_relation"), schema) == []
    # ... but when it does, a gap is allowed and a fraction or negative id is not.
    bad = sub.copy()
    bad["osm_relation"] = bad["osm_relation"].astype(float)
    bad.loc[0, "osm_relation"] = np.nan
    bad.loc[1, "osm_relation"] = 1.5
    bad.loc[2, "osm_relation"] = -3
    (problem,) = check_columns(bad, schema)
    assert "'osm_relation'" in problem and "rows 1, 2" in problem
    lines = tianhe_geo.load_layer("transit").reset_index(drop=True)
    lines.loc[0, "colour"] = " "
    (problem,) = check_columns(lines, SCHEMAS["transit"])
    assert "'colour'" in problem and "rows 0" in problem
