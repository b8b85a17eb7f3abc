"""Subdistrict seeds and polygons against independent reference points.

The references (data/geo/sources/subdistrict_reference.csv) are published centre
or label points of the 街道, not surveyed offices, and the polygons are Voronoi
approximations, so the test states what holds today and lists the exceptions
explicitly with their measured distance bounds (see sources/subdistricts.md).
"""

import geopandas as gpd
import pytest

import tianhe_geo

from .._scripts import load_script

check = load_script("check_subdistricts")
build = load_script("build_subdistricts")

# Reference points that do NOT lie in our polygon of their own subdistrict, with
# the polygon they fall in (None = outside the district). All three are rows of
# the GCJ-02 fallback table that the other reference contradicts by > 900 m.
KNOWN_OUTSIDE = {
    ("440106017", "tianditu-fallback-table"): "440106015",  # 长兴 -> 元岗 polygon, 2.4 km from B
    ("440106021", "tianditu-fallback-table"): "440106016",  # 珠吉 -> 黄村 polygon, 1.0 km from B
    ("440106022", "tianditu-fallback-table"): None,  # 新塘: outside the district, 2.3 km from B
}
# Largest seed-to-reference distance over the points that lie in their own polygon.
MAX_INSIDE_DISTANCE_M = 1500.0


@pytest.fixture(scope="module")
def subdistricts() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("subdistricts")


@pytest.fixture(scope="module")
def seeds():
    return check.load_seeds()


@pytest.fixture(scope="module")
def reference():
    return check.load_reference()


@pytest.fixture(scope="module")
def table(subdistricts, seeds, reference):
    return check.check(subdistricts, seeds, reference)


def test_reference_covers_every_subdistrict(reference, subdistricts):
    assert set(reference["code"]) == set(subdistricts["code"])
    assert reference["lon"].between(113.25, 113.46).all()
    assert reference["lat"].between(23.09, 23.25).all()


def test_reference_points_lie_in_their_own_polygon_except_listed(table):
    outside = table[~table["inside_own"]]
    found = {(r.code, r.source): r.containing_code for r in outside.itertuples()}
    assert found == KNOWN_OUTSIDE
    inside = table[table["inside_own"]]
    assert inside["distance_m"].max() <= MAX_INSIDE_DISTANCE_M
    # every subdistrict has at least one reference point inside its polygon
    assert inside["code"].nunique() == table["code"].nunique() == 21


def test_summary_figures(table):
    s = check.summarize(table)
    assert s["n"] == 41
    assert s["n_inside_own"] == 41 - len(KNOWN_OUTSIDE)
    assert s["median_m"] < 700.0
    assert s["max_m"] < 2600.0


def test_no_seed_is_contradicted_by_two_agreeing_references(table, reference):
    flagged = check.strong_evidence(table, reference)
    assert flagged.empty, flagged.to_string()


def test_check_detects_a_swapped_seed(subdistricts, seeds, reference):
    # Swap the points of 沙河 (far west) and 前进 (far east) and rebuild the polygons.
    a, b = "440106004", "440106020"
    swapped = seeds.copy()
    ia = swapped.index[swapped["code"] == a][0]
    ib = swapped.index[swapped["code"] == b][0]
    swapped.loc[[ia, ib], ["lon", "lat"]] = swapped.loc[[ib, ia], ["lon", "lat"]].to_numpy()
    pts = gpd.GeoSeries.from_xy(swapped["lon"], swapped["lat"], crs="EPSG:4326")
    boundary = tianhe_geo.load_layer("boundary").union_all()
    layer = gpd.GeoDataFrame(
        {"code": swapped["code"]}, geometry=build.partition(boundary, pts), crs="EPSG:4326"
    )
    bad = check.check(layer, swapped, reference)
    hit = bad[bad["code"].isin([a, b])]
    assert not hit["inside_own"].any()
    assert (hit["distance_m"] > 10_000).all()
    good = check.summarize(check.check(subdistricts, seeds, reference))
    worse = check.summarize(bad)
    assert worse["n_inside_own"] <= good["n_inside_own"] - len(hit)
    assert worse["max_m"] > 10_000
    # The move rule flags swapped subdistricts only (前进's two references differ
    # by 625 m, more than the 500 m agreement bound, so only 沙河 qualifies).
    flagged = set(check.strong_evidence(bad, reference)["code"])
    assert a in flagged and flagged <= {a, b}
