import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

import tianhe_geo
from tianhe_geo.data.population import dasymetric_grid, round_keeping_totals

CRS = "EPSG:4547"


def test_hand_made_zones_with_mask():
    zones = gpd.GeoDataFrame(
        {"code": ["a", "b"], "population": [1000, 50]},
        geometry=[shapely.box(0, 0, 200, 200), shapely.box(200, 0, 300, 200)],
        crs=CRS,
    )
    mask = gpd.GeoSeries([shapely.box(0, 0, 100, 200)], crs=CRS)  # west half of zone a is a lake
    grid = dasymetric_grid(zones, mask, cell_size=100)
    sums = grid.groupby("subdistrict")["population"].sum()
    assert sums["a"] == pytest.approx(1000) and sums["b"] == pytest.approx(50)
    a = grid[grid["subdistrict"] == "a"]
    west = a.geometry.centroid.x < 100
    assert a.loc[west, "population"].sum() == 0
    assert a.loc[~west, "population"].tolist() == pytest.approx([500, 500])


def test_wholly_masked_zone_keeps_its_people():
    zones = gpd.GeoDataFrame(
        {"code": ["a"], "population": [10]}, geometry=[shapely.box(0, 0, 100, 100)], crs=CRS
    )
    grid = dasymetric_grid(zones, gpd.GeoSeries([shapely.box(-5, -5, 105, 105)], crs=CRS))
    assert grid["population"].sum() == pytest.approx(10)


def test_shipped_residents_match_census():
    res = tianhe_geo.load_layer("residents")
    sub = tianhe_geo.load_layer("subdistricts")
    sums = res.groupby("subdistrict")["population"].sum()
    # Cells hold hundredths of a person, rounded so that the sums stay exact.
    np.testing.assert_allclose(
        sums.reindex(sub.index).to_numpy(), sub["population"].to_numpy(), rtol=0, atol=1e-6
    )
    assert np.allclose(res["population"] * 100, np.rint(res["population"] * 100), atol=1e-6)
    assert res["modelled"].all()
    parks = tianhe_geo.load_layer("parks")
    big = parks[parks["tier"] == "ecological"].to_crs(CRS).union_all()
    cells = res.to_crs(CRS)
    inside = shapely.within(cells.geometry.values, big)
    assert res.loc[inside, "population"].sum() == 0


@given(
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=200),
    st.integers(1, 6),
    st.integers(0, 3),
)
def test_rounding_keeps_every_group_total(values, n_groups, decimals):
    values = np.asarray(values)
    groups = np.arange(len(values)) % n_groups
    out = round_keeping_totals(values, groups, decimals)
    unit = 10.0**-decimals
    # Each value moves by less than one unit and lands on the grid of units.
    assert np.all(np.abs(out - values) < unit + 1e-9)
    np.testing.assert_allclose(out / unit, np.rint(out / unit), atol=1e-6)
    # Brute force: every group's sum is its exact sum rounded to the unit.
    for g in range(n_groups):
        want = np.rint(values[groups == g].sum() / unit) * unit
        assert abs(out[groups == g].sum() - want) < 1e-6 * max(1.0, want)
