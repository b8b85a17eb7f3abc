import geopandas as gpd
import numpy as np
import pytest
import shapely

import tianhe_geo
from tianhe_geo.population import dasymetric_grid

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
    # Cells are stored rounded to 0.01 person.
    assert np.allclose(
        sums.reindex(sub.index).to_numpy(), sub["population"].to_numpy(), atol=len(res) * 0.005
    )
    assert res["modelled"].all()
    parks = tianhe_geo.load_layer("parks")
    big = parks[parks["tier"] == "ecological"].to_crs(CRS).union_all()
    cells = res.to_crs(CRS)
    inside = shapely.within(cells.geometry.values, big)
    assert res.loc[inside, "population"].sum() == 0
