"""Build data/geo/structure.geojson: the 14th five-year plan's spatial structure.

Run (no network needed)::

    python scripts/build_structure.py

Provenance (details and URLs in ``data/geo/sources/structure.md``):

* The structure "两轴两带多片区" (two axes, two belts, multiple zones) and the
  names of its parts come from the Tianhe District 14th five-year plan outline
  (穗天府〔2021〕4号) as summarised in public news pages; only facts were used,
  no text or geometry was copied.
* 天河智谷, 车陂/前进 and 环五山创新策源区 are not in the plan's own short list of
  zones; they are added from later district material (the 活力创新轴 zones and the
  plan's renewal areas) and flagged in ``source``.
* Geometry is SCHEMATIC (``schematic`` = True in every row): axes and belts are
  polylines through well-known landmarks; zones are boxes between the roads or
  the river that bound them, clipped to the district boundary. Coordinates are
  WGS-84 (EPSG:4326) values written by the author from general knowledge of
  Guangzhou; no AMap/Tencent (GCJ-02) coordinates were used, so no datum shift
  is applied. ``accuracy_m`` is 500-1500 m: good enough for a map legend, not
  for any area or overlay statistic.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import shapely

from tianhe_geo.data.io import write_vector

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "structure.geojson"
BOUNDARY = ROOT / "data" / "geo" / "boundary.geojson"
METRIC = "EPSG:4547"
MAX_DISTANCE_M = 1000.0

SRC_PLAN = (
    "Tianhe 14th FYP outline (穗天府〔2021〕4号) https://www.gcs66.com/document_detail/47150.html; "
    "structure summary https://freewechat.com/a/MzA4MTgxNjMzOQ==/2651932456/1"
)
SRC_AXIS_AI = SRC_PLAN + "; axis zones per http://h72q.a899.cn/news/25a098988.html (活力创新轴)"
SRC_ZHIHUI = (
    SRC_PLAN + "; extent 大观路/环城高速/华南快速/广汕公路 per pixnet gd21gdbrgb post 175908939"
)
SRC_ADDED = "added zone (not in the plan's short zone list); " + SRC_AXIS_AI
SRC_WUSHAN = (
    "added zone; ~28 km2 环五山创新策源区 per https://bkwk.cn/article/gzthmswljmkjxdbdfzam.html"
)
SRC_RENEWAL = (
    "added zone (brief: 车陂, 前进 renewal on the 临江 belt); author knowledge of street extents"
)

# fmt: off
#: Axes and belts: polylines through landmarks (lon, lat, WGS-84).
LINES = [
    # id                kind    name_zh                   name_en                                         role_zh                   role_en                                   accuracy_m source
    ("axis-services",  "axis", "现代服务经济发展轴",     "Modern Service Economy Development Axis",      "新中轴现代服务业集聚",   "new central axis of modern services",    500.0, SRC_PLAN,
     [(113.3180, 23.1620),   # 沙河
      (113.3245, 23.1505),   # 广州东站
      (113.3255, 23.1390),   # 天河体育中心 / 天河路
      (113.3245, 23.1200),   # 花城广场, 珠江新城
      (113.3235, 23.1130)]),  # 海心沙, Pearl River
    ("axis-ai-digital", "axis", "人工智能和数字经济发展轴", "AI and Digital Economy Development Axis",    "数字经济创新走廊",       "digital economy innovation corridor",    800.0, SRC_AXIS_AI,
     [(113.3800, 23.1190),   # 广州国际金融城
      (113.4050, 23.1330),   # 天河智谷 (south-west part)
      (113.4150, 23.1480),   # 天河智谷 / 黄村
      (113.3950, 23.1700),   # 天河智慧城 south edge
      (113.3900, 23.1880)]),  # 天河智慧城 core
    ("belt-riverside", "belt", "临江高端经济带",         "Riverside High-end Economic Belt",             "沿江高端产业与城市更新", "riverside high-end industry and renewal", 500.0, SRC_PLAN,
     [(113.3150, 23.1140),   # 广州大道南 at the river
      (113.3350, 23.1150),   # 猎德
      (113.3600, 23.1160),   # 员村
      (113.3800, 23.1170),   # 金融城
      (113.3980, 23.1170),   # 车陂
      (113.4100, 23.1150),   # 前进
      (113.4230, 23.1130)]),  # 东圃 / 深涌, district east edge
    ("belt-tech",      "belt", "中部科技创新带",         "Central Science and Technology Innovation Belt", "高校院所与科技园区联动", "universities linked with tech parks",  1500.0, SRC_PLAN,
     [(113.3300, 23.1500),   # 石牌 / 天河北 east
      (113.3480, 23.1560),   # 五山高校群
      (113.3700, 23.1530),   # 天河软件园 / 岑村 south
      (113.4000, 23.1500),   # 车陂北
      (113.4300, 23.1450)]),  # 奥体 / 天河智谷
]

#: Zones: boxes (west, south, east, north) between bounding roads, clipped to the district.
ZONES = [
    # id                    name_zh              name_en                                      role_zh                 role_en                                 box (W, S, E, N)                        accuracy_m source
    ("zone-cbd",           "天河中央商务区",    "Tianhe Central Business District",          "总部经济与现代服务业", "headquarters and modern services",      (113.3145, 23.1120, 113.3450, 23.1550),  500.0, SRC_PLAN),
    ("zone-zhujiang",      "珠江新城",          "Zhujiang New Town",                         "CBD核心:金融与总部",   "CBD core: finance and headquarters",    (113.3145, 23.1125, 113.3390, 23.1270),  500.0, SRC_PLAN + " (part of 天河中央商务区)"),
    ("zone-tianhe-road",   "天河路商圈",        "Tianhe Road Business District",             "国际化商贸消费",       "international retail and consumption",  (113.3150, 23.1320, 113.3400, 23.1430),  500.0, SRC_PLAN),
    ("zone-ifc",           "广州国际金融城",    "Guangzhou International Finance City",      "金融与数字金融集聚",   "finance and fintech cluster",           (113.3710, 23.1135, 113.4250, 23.1265),  500.0, SRC_PLAN),
    ("zone-smart-city",    "天河智慧城",        "Tianhe Smart City",                         "新一代信息技术与高新区", "ICT and high-tech zone",              (113.3650, 23.1680, 113.4120, 23.2000),  800.0, SRC_ZHIHUI),
    ("zone-zhigu",         "天河智谷片区",      "Tianhe Zhigu (Intelligence Valley) Area",   "数字经济产城融合",     "digital economy and mixed-use renewal", (113.3980, 23.1280, 113.4400, 23.1520), 1000.0, SRC_ADDED),
    ("zone-shahe",         "沙河片区",          "Shahe Area",                                "商贸更新提升",         "wholesale-trade renewal",               (113.3080, 23.1530, 113.3260, 23.1680),  500.0, SRC_PLAN),
    ("zone-chebei-qianjin", "车陂/前进地区",    "Chebei / Qianjin Area",                     "临江城市更新",         "riverside urban renewal",               (113.3950, 23.1140, 113.4250, 23.1380), 1000.0, SRC_RENEWAL),
    ("zone-wushan",        "环五山创新策源区",  "Wushan Innovation Source Area",             "高校群与科技成果转化", "university cluster and tech transfer",  (113.3380, 23.1320, 113.3850, 23.1800), 1000.0, SRC_WUSHAN),
]
# fmt: on


def load_boundary() -> shapely.Geometry:
    """District outline (WGS-84), dissolved to one geometry."""
    return gpd.read_file(BOUNDARY).to_crs("EPSG:4326").union_all()


def line_rows() -> list[dict]:
    """Rows for axes and belts."""
    rows = []
    for fid, kind, zh, en, role_zh, role_en, acc, src, pts in LINES:
        rows.append(_row(fid, kind, zh, en, role_zh, role_en, acc, src, shapely.LineString(pts)))
    return rows


def zone_rows(district: shapely.Geometry) -> list[dict]:
    """Rows for zones: a box between bounding roads, clipped to the district."""
    rows = []
    for fid, zh, en, role_zh, role_en, box, acc, src in ZONES:
        geom = shapely.box(*box).intersection(district)
        geom = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)  # drop slivers
        rows.append(_row(fid, "zone", zh, en, role_zh, role_en, acc, src, geom))
    return rows


def _row(fid, kind, zh, en, role_zh, role_en, acc, src, geom) -> dict:  # noqa: PLR0913
    return {
        "id": fid, "kind": kind, "name_zh": zh, "name_en": en,
        "role_zh": role_zh, "role_en": role_en, "schematic": True,
        "source": src, "accuracy_m": float(acc), "geometry": geom,
    }  # fmt: skip


def check(gdf: gpd.GeoDataFrame, district: shapely.Geometry) -> None:
    """Fail loudly on invalid, duplicate or far-away features."""
    assert gdf["id"].is_unique, "duplicate ids"
    assert gdf.is_valid.all(), "invalid geometry"
    assert gdf.notna().all().all(), "missing values"
    near = gpd.GeoSeries([district], crs="EPSG:4326").to_crs(METRIC).iloc[0].buffer(MAX_DISTANCE_M)
    far = gdf[~gdf.to_crs(METRIC).within(near)]
    assert far.empty, f"features beyond {MAX_DISTANCE_M} m of the district: {list(far['id'])}"


def main() -> int:
    district = load_boundary()
    gdf = gpd.GeoDataFrame(line_rows() + zone_rows(district), crs="EPSG:4326")
    check(gdf, district)
    write_vector(gdf, OUT)
    print(f"wrote {OUT} ({len(gdf)} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
