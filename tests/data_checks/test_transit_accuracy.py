"""Station positions of the transit layer against the OpenStreetMap reference."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

import tianhe_geo
from tianhe_geo.foundation.crs import ANALYSIS_CRS

from .._scripts import load_script

check = load_script("check_transit_accuracy")


@pytest.fixture(scope="module")
def transit() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("transit")


@pytest.fixture(scope="module")
def reference():
    return check.load_reference()


def test_station_positions_meet_the_accuracy_targets(transit, reference):
    errors = check.station_errors(transit, reference)
    summary = check.summarize(errors)
    assert summary["n"] >= 50
    assert summary["median_m"] < 100
    assert summary["p95_m"] < 250
    # Positions copied from OSM are not an independent check and are left out.
    copied = set(errors.loc[~errors["independent"], "station_id"])
    assert {"st-yangjidong", "st-tangxia", "st-tianhezhucun"} <= copied


def test_reference_covers_every_operating_station_in_the_district(transit, reference, boundary):
    stations = transit[(transit["kind"] == "station") & (transit["status"] == "operating")]
    district = boundary.to_crs(ANALYSIS_CRS).union_all()
    inside = stations[stations.to_crs(ANALYSIS_CRS).within(district)]
    referenced = set(reference["station_id"])
    missing = set(inside["id"]) - referenced - set(check.NOT_IN_OSM)
    assert not missing
    # Ids listed as not in OSM must exist and must really be absent from the reference.
    assert set(check.NOT_IN_OSM) <= set(stations["id"])
    assert not set(check.NOT_IN_OSM) & referenced
    # Every reference row names a station row of the layer, on one of that row's lines.
    lines = transit.set_index("id")["line"].str.split(";")
    for sid, line in zip(reference["station_id"], reference["line"], strict=True):
        assert line in lines[sid]


def test_check_detects_a_station_moved_by_500_m(transit, reference):
    # 岗顶 is on line 3 only, so its error is the distance to one OSM point: put the station
    # exactly 500 m north of that point.
    ref = reference[reference["station_id"] == "st-gangding"].iloc[0]
    osm = gpd.GeoSeries([shapely.Point(ref["lon"], ref["lat"])], crs=4326).to_crs(ANALYSIS_CRS)
    moved = gpd.GeoSeries([shapely.Point(osm[0].x, osm[0].y + 500.0)], crs=ANALYSIS_CRS)
    layer = transit.copy()
    row = np.flatnonzero(layer["id"].to_numpy() == "st-gangding")[0]
    layer.iloc[row, layer.columns.get_loc("geometry")] = moved.to_crs(4326)[0]

    before = check.station_errors(transit, reference).set_index("station_id")["error_m"]
    after = check.station_errors(layer, reference).set_index("station_id")["error_m"]
    assert before["st-gangding"] < 50
    assert after["st-gangding"] == pytest.approx(500.0, abs=1.0)
    others = after.index != "st-gangding"
    np.testing.assert_allclose(after[others], before[after.index[others]])


def test_check_fails_when_targets_are_missed():
    assert check.passes({"median_m": 99.0, "p95_m": 249.0})
    assert not check.passes({"median_m": 100.0, "p95_m": 120.0})
    assert not check.passes({"median_m": 30.0, "p95_m": 250.0})
