"""Build data/geo/projects.geojson: named infrastructure of the 14th five-year plan.

Run (no network needed)::

    python scripts/build_projects.py

Provenance (details and URLs in ``data/geo/sources/projects.md``):

* Project names are those the brief lists from the Tianhe 14th five-year plan.
  Status (as of early 2026) and the end points of each line come from public
  news pages where one was found; only facts were used, no text or geometry
  was copied. Where no page was found the status is the author's judgement
  and ``source`` says so.
* Geometry is APPROXIMATE: polylines through the end points and junctions
  named in the sources, written by the author as WGS-84 (EPSG:4326) values
  from general knowledge of Guangzhou; the station is a point. No AMap/Tencent
  (GCJ-02) coordinates were used, so no datum shift is applied.
  ``accuracy_m`` runs from 300 m (well-described river tunnel) to 3000 m
  (黄云路, whose alignment was not found in any source: placed by assumption).
* The airport second expressway is clipped to the district boundary (its
  Tianhe section); every feature must lie within 3 km of the district.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import shapely

from tianhe_geo.data.io import write_vector

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "projects.geojson"
BOUNDARY = ROOT / "data" / "geo" / "boundary.geojson"
METRIC = "EPSG:4547"
MAX_DISTANCE_M = 3000.0

SRC_TUNNEL = (
    "opened 2023-01-18: https://finance.sina.cn/2023-01-18/detail-imyarnhe5689363.d.html; "
    "2.07 km, 黄埔大道-新港东路: http://gd.sina.com.cn/news/2020-12-24/detail-iiznctke8182510.shtml"
)
SRC_LINJIANG = (
    "phase 1 车陂路-深涌 2.5 km: http://topper.com.cn/news/html/?9256.html; phase 2 深涌-鱼珠东路 2.1 km: "
    "http://gd.sina.com.cn/news/b/2017-12-11/detail-ifypnqvn2774519.shtml; current status not confirmed"
)
SRC_EAST_STATION = (
    "works started 2025-12, completion planned 2031-06: https://ww.liuxueshijie.com/article/924029.html; "
    "2025 key project: https://blob.wenxiaobai.com/article/1826fedc-852d-623c-2d8b-030a79c6deac"
)
SRC_AIRPORT2 = (
    "fully open 2025-11-22 to 广深高速黄村立交: https://www.163.com/dy/article/KF9NKJ6Q05569FE4.html; "
    "route 花都-白云-黄埔-天河: https://e993.com/caijing_6323d24303d233230323_myrrzpv4239556"
)
SRC_PLAN_ONLY = "named in the Tianhe 14th FYP list (brief); no status or alignment page found; position author assumption"

# fmt: off
#: Named projects. geometry: ("line", [(lon, lat), ...]) | ("point", (lon, lat)).
#: clip: keep only the part inside the district (the "Tianhe section").
PROJECTS = [
    # id                      kind           status                name_zh                  name_en                                          geometry                                                                                 clip   accuracy_m source
    ("proj-chebei-north",    "road",        "planned",            "车陂路北延线",          "Chebei Road northern extension",                ("line", [(113.3960, 23.1520), (113.3965, 23.1650), (113.3980, 23.1780), (113.3990, 23.1860)]), False, 1000.0, SRC_PLAN_ONLY + " (广园快速 north to 华观路 assumed)"),
    ("proj-linjiang-east",   "road",        "under_construction", "临江大道东延线",        "Linjiang Avenue eastern extension",             ("line", [(113.3985, 23.1175), (113.4100, 23.1155), (113.4230, 23.1135), (113.4330, 23.1110), (113.4450, 23.1075)]), False, 500.0, SRC_LINJIANG),
    ("proj-chebei-tunnel",   "tunnel",      "completed",          "车陂路—新滘东路隧道",   "Chebei Road - Xinjiao East Road Tunnel (Chebeinan Tunnel)", ("line", [(113.3980, 23.1265), (113.3982, 23.1185), (113.3985, 23.1120), (113.3990, 23.1045)]), False, 300.0, SRC_TUNNEL),
    ("proj-huangyun",        "road",        "planned",            "黄云路",                "Huangyun Road",                                 ("line", [(113.4100, 23.1480), (113.4150, 23.1600)]),                                           False, 3000.0, SRC_PLAN_ONLY + " (alignment unknown; short stub near 黄村 is a placeholder)"),
    ("proj-shuiyin-4",       "road",        "planned",            "水荫四横路",            "Shuiyin 4th Cross Road",                        ("line", [(113.3120, 23.1455), (113.3200, 23.1460)]),                                           False, 800.0, SRC_PLAN_ONLY + " (水荫路 area, 沙河/沙东)"),
    ("proj-jianming-6",      "road",        "planned",            "健明六路",              "Jianming 6th Road",                             ("line", [(113.4320, 23.1380), (113.4330, 23.1480)]),                                           False, 1500.0, SRC_PLAN_ONLY + " (健明 road family, 天河智谷/奥体)"),
    ("proj-east-station",    "railway_hub", "under_construction", "广州东站改造",          "Guangzhou East Railway Station renovation",    ("point", (113.3245, 23.1505)),                                                                  False, 200.0, SRC_EAST_STATION),
    ("proj-airport-2nd-exp", "expressway",  "completed",          "机场第二高速(天河段)", "Airport Second Expressway (Tianhe section)",   ("line", [(113.4140, 23.1390), (113.4150, 23.1520), (113.4120, 23.1700), (113.4080, 23.1900), (113.4100, 23.2100), (113.4200, 23.2350), (113.4300, 23.2600)]), True, 1500.0, SRC_AIRPORT2),
]
# fmt: on


def load_boundary() -> shapely.Geometry:
    """District outline (WGS-84), dissolved to one geometry."""
    return gpd.read_file(BOUNDARY).to_crs("EPSG:4326").union_all()


def make_geometry(spec: tuple, clip: bool, district: shapely.Geometry) -> shapely.Geometry:
    """Turn a geometry spec into a shapely geometry, clipped if asked."""
    kind, coords = spec
    geom = shapely.Point(coords) if kind == "point" else shapely.LineString(coords)
    if clip:
        parts = getattr(geom.intersection(district), "geoms", None) or [geom.intersection(district)]
        geom = max(parts, key=lambda g: g.length)
    return geom


def rows(district: shapely.Geometry) -> list[dict]:
    """One row per project."""
    out = []
    for fid, kind, status, zh, en, spec, clip, acc, src in PROJECTS:
        out.append({
            "id": fid, "kind": kind, "status": status, "name_zh": zh, "name_en": en,
            "source": src, "accuracy_m": float(acc),
            "geometry": make_geometry(spec, clip, district),
        })  # fmt: skip
    return out


def check(gdf: gpd.GeoDataFrame, district: shapely.Geometry) -> None:
    """Fail loudly on invalid, duplicate or far-away features."""
    assert gdf["id"].is_unique, "duplicate ids"
    assert gdf.is_valid.all() and not gdf.is_empty.any(), "invalid or empty geometry"
    assert gdf["status"].isin({"completed", "under_construction", "planned"}).all()
    near = gpd.GeoSeries([district], crs="EPSG:4326").to_crs(METRIC).iloc[0].buffer(MAX_DISTANCE_M)
    far = gdf[~gdf.to_crs(METRIC).within(near)]
    assert far.empty, f"features beyond {MAX_DISTANCE_M} m of the district: {list(far['id'])}"


def main() -> int:
    district = load_boundary()
    gdf = gpd.GeoDataFrame(rows(district), crs="EPSG:4326")
    check(gdf, district)
    write_vector(gdf, OUT)
    print(f"wrote {OUT} ({len(gdf)} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
