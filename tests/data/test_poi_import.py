"""``import pois``: hand-made AMap (GCJ-02) and Baidu (BD-09) tables land on their WGS-84 truth.

The truth points are WGS-84 positions inside Tianhe; the tables hold them shifted
with the published forward formulas (as the web maps publish them), and the
import must bring them back within 1 m, measured in EPSG:4547.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tianhe_geo import LayerSchemaError
from tianhe_geo.cli import main
from tianhe_geo.data.layers import load_layer, read_layer_file
from tianhe_geo.data.poi_import import import_pois
from tianhe_geo.foundation.crs import wgs84_to_bd09, wgs84_to_gcj02

# Tianhe Sports Centre, South China Normal University, Zhujiang New Town, Tangxia, Longdong.
TRUTH = np.array(
    [[113.3245, 23.1385], [113.3530, 23.1400], [113.3230, 23.1200], [113.3790, 23.1530],
     [113.3900, 23.2000]]
)  # fmt: skip
ROWS = [
    ("天河区社区卫生服务中心", "090100", "医疗保健服务;综合医院"),  # code and type: hospital
    ("华阳小学", "141203", "科教文化服务;学校;小学"),
    ("某某幼儿园", "", "科教文化服务;学校;幼儿园"),
    ("星巴克咖啡", "050500", "餐饮服务;咖啡厅"),
    ("长者饭堂养老服务中心", "", "生活服务;养老"),
]


def _distance_m(gdf: gpd.GeoDataFrame, truth: np.ndarray) -> np.ndarray:
    ref = gpd.GeoSeries(shapely.points(truth), crs="EPSG:4326").to_crs("EPSG:4547")
    return gdf.to_crs("EPSG:4547").geometry.distance(ref, align=False).to_numpy()


@pytest.fixture(scope="module")
def boundary():
    return load_layer("boundary")


@pytest.fixture(scope="module")
def amap_csv(tmp_path_factory):
    lon, lat = wgs84_to_gcj02(TRUTH[:, 0], TRUTH[:, 1])
    table = pd.DataFrame(
        {
            "id": [f"B0{i}" for i in range(5)],
            "name": [r[0] for r in ROWS],
            "typecode": [r[1] for r in ROWS],
            "type": [r[2] for r in ROWS],
            "location": [f"{x:.6f},{y:.6f}" for x, y in zip(lon, lat, strict=True)],
        }
    )
    path = tmp_path_factory.mktemp("poi") / "amap.csv"
    table.to_csv(path, index=False)
    return path


def test_gcj02_table_lands_within_1_m_of_truth(amap_csv, boundary):
    shifted = np.column_stack(wgs84_to_gcj02(TRUTH[:, 0], TRUTH[:, 1]))
    raw = gpd.GeoDataFrame(geometry=shapely.points(shifted), crs="EPSG:4326")
    assert (_distance_m(raw, TRUTH) > 400).all()  # the table really is offset
    result = import_pois(amap_csv, "gcj02", boundary)
    fac = result.facilities
    assert list(fac["id"]) == ["B00", "B01", "B02", "B04"]
    assert (_distance_m(fac, TRUTH[[0, 1, 2, 4]]) < 1.0).all()
    # The type code wins (090100 = general hospital) over the words of the name.
    assert list(fac["category"]) == ["hospital", "primary_school", "kindergarten", "elderly_care"]
    assert result.unmapped[["line", "name"]].values.tolist() == [[5, "星巴克咖啡"]]


def test_bd09_table_with_lng_lat_columns_and_words(tmp_path, boundary):
    lon, lat = wgs84_to_bd09(TRUTH[:, 0], TRUTH[:, 1])
    table = pd.DataFrame(
        {"名称": [r[0] for r in ROWS], "类别": [r[2] for r in ROWS], "lng": lon, "lat": lat}
    )
    path = tmp_path / "baidu.csv"
    table.to_csv(path, index=False, encoding="gbk")  # a Chinese Excel export
    fac = import_pois(path, "bd09", boundary).facilities
    assert (_distance_m(fac, TRUTH[[0, 1, 2, 4]]) < 1.0).all()
    # No type code: the words of the 类别 column decide (综合医院 -> hospital), not the name.
    assert list(fac["category"]) == [
        "hospital", "primary_school", "kindergarten", "elderly_care"
    ]  # fmt: skip
    assert fac["source"].str.contains("BD-09 converted to WGS-84").all()


def test_gcj02_suspected_when_no_datum_is_given(tmp_path, boundary):
    # Points 300 m inside the boundary all round: shifted to GCJ-02, the eastern and
    # southern ones fall outside, and the check must refuse to take them as WGS-84.
    ring = boundary.to_crs("EPSG:4547").buffer(-300).boundary.iloc[0]
    pts = gpd.GeoSeries(shapely.line_interpolate_point(ring, np.linspace(0, ring.length, 60)),
                        crs="EPSG:4547").to_crs("EPSG:4326")  # fmt: skip
    lon, lat = wgs84_to_gcj02(pts.x.to_numpy(), pts.y.to_numpy())
    pd.DataFrame({"name": "某小学", "lon": lon, "lat": lat}).to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(LayerSchemaError, match=r"look like GCJ-02.*--datum gcj02"):
        import_pois(tmp_path / "p.csv", None, boundary)
    fac = import_pois(tmp_path / "p.csv", "gcj02", boundary).facilities
    assert len(fac) == 60


def test_missing_coordinates_are_named(tmp_path, boundary):
    pd.DataFrame({"name": ["某小学"], "地址": ["天河路"]}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(LayerSchemaError, match=r"no coordinates.*'location'"):
        import_pois(tmp_path / "n.csv", "wgs84", boundary)


def test_cli_writes_the_layer_and_lists_unmapped_rows(amap_csv, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["import", "pois", str(amap_csv), "--datum", "gcj02", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 row(s) not mapped" in err and "pois_unmapped.csv" in err
    fac = read_layer_file(out / "facilities.geojson", "facilities")
    assert len(fac) == 4 and fac["layer_complete"].eq(False).all()
    assert pd.read_csv(out / "pois_unmapped.csv")["name"].tolist() == ["星巴克咖啡"]
    # A second import does not silently overwrite the first.
    assert main(["import", "pois", str(amap_csv), "--datum", "gcj02", "--out", str(out)]) == 1
    assert "--replace" in capsys.readouterr().err
