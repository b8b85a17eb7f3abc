"""Dasymetric residents: census units shared over residential land, sums kept exactly.

Rectangles in EPSG:4547 metres (inside Tianhe), so each share can be worked out by hand.
"""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tianhe_geo.data.census_import import allocate
from tianhe_geo.data.schemas import SCHEMAS, validate_layer

X, Y = 440_000.0, 2_563_000.0  # a point in Tianhe, EPSG:4547


def _box(x0, y0, x1, y1):
    return shapely.box(X + x0, Y + y0, X + x1, Y + y1)


@pytest.fixture(scope="module")
def result():
    sub = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[_box(0, 0, 1000, 1000), _box(1000, 0, 2000, 1000)],
        crs="EPSG:4547",
    )  # fmt: skip
    land = gpd.GeoDataFrame(
        geometry=[_box(0, 0, 100, 100), _box(200, 0, 500, 100), _box(1200, 200, 1300, 300)],
        crs="EPSG:4547",
    )
    units = gpd.GeoDataFrame(
        {"name": ["社区甲", "小区乙", "小区丙", "社区丁"], "pop": [1000, 70, 30, 500]},
        geometry=[
            _box(0, 0, 600, 600),  # holds land 1 (1 ha) and land 2 (3 ha): 250 / 750
            shapely.Point(X + 1250, Y + 250),  # on land 3
            shapely.Point(X + 1700, Y + 700),  # on no land: a 100 m square
            _box(1500, 500, 1900, 900),  # no land: keeps its own polygon
        ],
        crs="EPSG:4547",
    )
    return allocate(units, "pop", land, sub, "census.csv"), sub


def test_population_sum_is_kept(result):
    res, _ = result
    assert res["population"].sum() == pytest.approx(1600, abs=1e-9)


def test_shares_follow_residential_area(result):
    res, _ = result
    jia = res[res["name_zh"] == "社区甲"].sort_values("population")
    assert np.allclose(jia["population"], [250, 750])
    bing = res[res["name_zh"] == "小区丙"].to_crs("EPSG:4547")
    assert bing.area.iloc[0] == pytest.approx(100 * 100, rel=1e-6)
    codes = res.groupby("name_zh")["subdistrict"].agg(lambda c: "".join(sorted(c))).to_dict()
    assert codes == {"社区甲": "AA", "小区乙": "B", "小区丙": "B", "社区丁": "B"}
    assert res.loc[res["name_zh"] == "社区丁", "source"].str.contains("own area").all()


def test_result_is_a_valid_residents_layer(result):
    res, sub = result
    area = gpd.GeoDataFrame(geometry=[sub.union_all()], crs=sub.crs)
    validate_layer(res, SCHEMAS["residents"], "allocated residents", boundary=area)
