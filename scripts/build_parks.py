"""Build data/geo/parks.geojson: parks of Tianhe District in the four-tier system.

Run (no network needed)::

    python scripts/build_parks.py

Provenance (details and URLs in ``data/geo/sources/parks.md``):

* Names, areas and bounding roads of the large parks come from public web
  pages (Wikipedia, park descriptions, news reports), read by hand; facts only,
  no text or geometry was copied.
* Positions are WGS-84 (EPSG:4326) values written by the author from general
  knowledge of Guangzhou and the roads named in those pages. No AMap/Tencent
  (GCJ-02) coordinates were used, so no datum shift is applied. Exception (3rd pass): the
  天河体育中心 box is anchored on English Wikipedia's WGS-84 stadium coordinate and checked
  against OSM station points (also WGS-84).
* Every outline is SCHEMATIC (``approximate`` = True): a box between the named
  roads, an ellipse or circle sized to the published area, or a buffered
  corridor. Forest parks that reach the district edge are clipped to the
  district boundary. ``area_ha`` is computed from the drawn polygon in
  EPSG:4547, so it differs from the published area where clipping applies.
* Tier: the published class where a source gives one, else the author's reading of
  the source (mapping in parks.md: 森林公园/湿地公园/植物园·树木园 -> ecological,
  综合公园 -> city, 社区公园 and village parks -> community, 游园 incl. 带状游园 and
  口袋公园 -> pocket).
* Parks placed only at a named village / road junction carry accuracy_m 700-1000;
  where the source gives no area, the area is an assumption stated in ``source``.
* The shipped layer holds only parks that were found in a source. Run with
  ``--placeholders`` to add, for subdistricts without a verified park, an
  invented PLACEHOLDER community park (and pocket park in dense subdistricts)
  named "（示意）"/"(placeholder)", accuracy_m 1000. They are NOT shipped: invented
  positions would make coverage figures look better than the evidence allows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import shapely
from shapely import affinity

from tianhe_geo.data.io import write_vector

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "parks.geojson"
BOUNDARY = ROOT / "data" / "geo" / "boundary.geojson"
SUBDISTRICTS = ROOT / "data" / "geo" / "subdistricts.geojson"
RIVERS = ROOT / "data" / "geo" / "rivers.geojson"
METRIC = "EPSG:4547"

SRC_WIKI_THP = "zh-yue.wikipedia.org/wiki/天河公園 (70.2 ha; bounding roads)"
SRC_FOREST = "bbs.00-net.com 2013 report; hbzqbyyxgs.com 火炉山 entry (600 ha, 广汕公路 S side)"
SRC_SCBG = (
    "aitianyou.cn spots list (天河区龙洞天源路1190号, 333 ha); position from author knowledge"
)
SRC_PARKS_NEWS = "iruanshi.com/tt4/23764.html (珠江公园 28 ha, 花城广场, 海心沙, 玄武山公园)"
SRC_WETLAND = (
    "天河湿地公园 encyclopedia entry via weilinceramic.com; southcn.com 2016-07-16 (47 ha, 3 km)"
)
SRC_YANLING = "baike.baidu.hk/item/燕嶺公園 (26.7 ha; bounding roads)"
SRC_2024 = "0559rc.com post_10070467 (2024 最美社区/口袋公园: 清和里, 阅山湖, 长湴山林顶)"
SRC_XIAOSIJI = (
    "xiaosiji.cn/a/fanyidiyu/guangzhoushi/2012/0702/2030.html (2012 list of Tianhe village parks)"
)
SRC_OLIVE = "bianminxia.com/jingdian/detail/21057.html (吉山村, 珠吉公路边, 300 亩 ≈ 20 ha; also '约28万m²')"
SRC_ARBORETUM = "newton.com.tw/wiki/廣東樹木公園 (龙眼洞, inside 广东省林业科学研究院, ~20 ha)"
SRC_EAST_STATION = (
    "spot.cnair.com/guangdong/guangzhou/list_huochedongzhan.htm (4.7 ha, new city axis, 1999)"
)
SRC_LINJIANG = "rike.mobi article_id=21013 (临江带状公园: 临江大道, 广州大桥 to 琶洲大桥, ~6 km)"
SRC_CHEBEI = (
    "cnenc.net/b336684.html (车陂 entry: 车陂街道, between 中山大道 and 黄埔大道; 街内有车陂公园)"
)
SRC_LIEDE_BRIDGE = (
    "hqcjw.cn/licai/2023/0803/152105.html (大洋网 2023-08-03: 猎德大桥临江大道桥下 '龙舟文化' 口袋公园,"
    " usable area ~4018 m2)"
)

SRC_TIYU = (
    "English Wikipedia 'Tianhe Stadium' via wiki-gateway.eudic.net/wikipedia_en/Tianhe_Sports_Center.html"
    " (stadium 23.140647N 113.319328E, WGS-84; gates: 林和西 north, 体育西路 west/south);"
    " wiki.thedays.cn 天河体育中心 (天河路北侧, 510,000 m2; public facilities added after 1995)"
)

# fmt: off
#: Named parks. shape: ("box", vertices) | ("circle", lon, lat, target_ha)
#: | ("ellipse", lon, lat, semi_x_m, semi_y_m) | ("corridor", vertices, half_width_m)
#: | ("riverside", lon_from, lon_to, offset_north_m, half_width_m).
#: clip: intersect with the district boundary (forest parks at the district edge).
NAMED = [
    # id                        tier          name_zh            name_en                               shape                                                       clip   accuracy_m source
    ("park-scbg",              "ecological", "华南国家植物园", "South China National Botanical Garden", ("circle", 113.3690, 23.1860, 333.0),                      True,  400.0, SRC_SCBG),
    ("park-huolushan",         "ecological", "火炉山森林公园", "Huolushan Forest Park",                 ("ellipse", 113.4000, 23.1860, 1600.0, 1150.0),              True,  500.0, SRC_FOREST),
    ("park-fenghuangshan",     "ecological", "凤凰山森林公园", "Fenghuangshan Forest Park",             ("ellipse", 113.3940, 23.2240, 1500.0, 1700.0),              True,  800.0, SRC_FOREST),
    ("park-longyandong",       "ecological", "龙眼洞森林公园", "Longyandong Forest Park",               ("circle", 113.3590, 23.2150, 380.0),                        True,  800.0, SRC_FOREST),
    ("park-tianhe-wetland",    "ecological", "天河湿地公园",   "Tianhe Wetland Park",                   ("corridor", [(113.4215, 23.1840), (113.4225, 23.1720), (113.4195, 23.1600)], 90.0), False, 400.0, SRC_WETLAND),
    ("park-tianhe-park",       "city",       "天河公园",       "Tianhe Park",                           ("box", [(113.3615, 23.1270), (113.3715, 23.1270), (113.3715, 23.1335), (113.3615, 23.1333)]), False, 150.0, SRC_WIKI_THP),
    ("park-zhujiang-park",     "city",       "珠江公园",       "Zhujiang Park",                         ("circle", 113.3525, 23.1290, 28.0),                         False, 400.0, SRC_PARKS_NEWS),
    ("park-huacheng-square",   "city",       "花城广场",       "Huacheng Square",                       ("box", [(113.3232, 23.1160), (113.3258, 23.1160), (113.3258, 23.1240), (113.3232, 23.1240)]), False, 150.0, SRC_PARKS_NEWS),
    ("park-haixinsha",         "city",       "海心沙亚运公园", "Haixinsha Asian Games Park",            ("ellipse", 113.3240, 23.1135, 450.0, 110.0),                False, 200.0, SRC_PARKS_NEWS),
    ("park-yanling",           "city",       "燕岭公园",       "Yanling Park",                          ("circle", 113.3300, 23.1585, 26.7),                         False, 300.0, SRC_YANLING),
    ("park-qinghe-li",         "community",  "清和里公园",     "Qingheli Park",                         ("circle", 113.3345, 23.1228, 0.88),                         False, 150.0, SRC_2024),
    ("park-yueshan-lake",      "community",  "阅山湖公园",     "Yueshan Lake Park",                     ("circle", 113.3640, 23.1720, 3.0),                          False, 1000.0, SRC_2024 + "; position only to subdistrict (长兴), area assumed"),
    ("park-xuanwushan",        "community",  "玄武山公园",     "Xuanwushan Park (Cencun)",              ("circle", 113.3830, 23.1750, 2.0),                          False, 400.0, SRC_PARKS_NEWS + "; area assumed"),
    ("park-changban-shanlinding", "pocket",  "长湴山林顶口袋公园", "Changban Shanlinding Pocket Park",   ("circle", 113.3555, 23.1800, 0.3),                          False, 500.0, SRC_2024),
    # --- added 2026-11: parks found in further sources; every position is an author placement
    # at the village / road named in the source ("position approximate"), see parks.md.
    ("park-guangdong-arboretum", "ecological", "广东树木公园",  "Guangdong Arboretum Park",             ("circle", 113.3830, 23.1970, 20.0),                         False, 800.0, SRC_ARBORETUM + "; bbs.00-net.com 2013 (NE forest-park group); position approximate (龙洞, N of 广汕路)"),
    ("park-jishan-olive",      "community",  "吉山橄榄公园",   "Jishan Olive Park",                     ("circle", 113.4270, 23.1500, 20.0),                         True,  800.0, SRC_OLIVE + "; " + SRC_XIAOSIJI + "; position approximate (吉山村, 珠吉街)"),
    ("park-qianjin-yangtao",   "community",  "前进杨桃公园",   "Qianjin Carambola Park",                ("circle", 113.4180, 23.1180, 5.0),                          False, 1000.0, SRC_XIAOSIJI + "; named as an earlier village eco-park in " + SRC_OLIVE.split(" ")[0] + "; position approximate (前进村), area assumed 5 ha; current state unverified"),
    ("park-huangcun-east",     "community",  "黄村东公园",     "Huangcun East Park",                    ("circle", 113.4120, 23.1370, 2.0),                          False, 1000.0, SRC_XIAOSIJI + "; position approximate (黄村 east), area assumed 2 ha; current state unverified"),
    ("park-changban-leisure",  "community",  "长湴休闲公园",   "Changban Leisure Park",                 ("circle", 113.3570, 23.1780, 2.0),                          False, 1000.0, SRC_XIAOSIJI + "; position approximate (长湴村), area assumed 2 ha; current state unverified"),
    ("park-east-station-plaza", "community", "天河东站绿化广场", "Guangzhou East Station Green Plaza",  ("circle", 113.3247, 23.1475, 4.7),                          False, 200.0, SRC_EAST_STATION + "; position approximate (between 广州东站 and 中信广场 on the axis)"),
    ("park-linjiang-linear",   "pocket",     "临江带状公园",   "Linjiang Linear Park",                  ("riverside", 113.3185, 113.3720, 200.0, 20.0),              True,  300.0, SRC_LINJIANG + "; position approximate: river line of rivers.geojson offset 200 m north, 40 m wide (width assumed)"),
    # --- added 2026-11 (2nd pass): community/pocket parks in subdistricts that had none; see parks.md.
    ("park-chebei",            "community",  "车陂公园",       "Chebei Park",                           ("circle", 113.3980, 23.1230, 1.0),                          False, 1000.0, SRC_CHEBEI + "; position only to subdistrict level (车陂, between 中山大道 and 黄埔大道), area assumed 1 ha; current state unverified"),
    ("park-liede-bridge-dragonboat", "pocket", "龙舟文化公园（猎德大桥桥下）", "Dragon Boat Culture Park (under Liede Bridge)", ("ellipse", 113.3330, 23.1148, 20.0, 64.0), False, 300.0, SRC_LIEDE_BRIDGE + "; position approximate (猎德大桥 x 临江大道 junction, north bank), drawn as a 20 m x 64 m ellipse along the bridge axis = published area"),
    # --- added 2026-11 (3rd pass): public open space in the old core; see parks.md.
    ("park-tianhe-sports-centre", "community", "天河体育中心（户外开放场地）", "Tianhe Sports Centre grounds", ("box", [(113.3160, 23.1370), (113.3235, 23.1370), (113.3235, 23.1432), (113.3160, 23.1432)]), False, 200.0, SRC_TIYU + "; not a registered park: public sports grounds (free outdoor fitness trail, courts, children's table-tennis area) counted as open space; box between 天河路 (S), 林和西 north gate (N), 体育西路 (W) and 体育东路 (E), edges checked against OSM APM stations 体育中心南 / 林和西 (transit_osm_reference.csv); drawn ~52 ha vs 51 ha published, whole site incl. stadium buildings"),
]

#: Subdistricts given a placeholder community park, and those also given a pocket park.
#: (林和, 黄村, 前进, 珠吉, 车陂 left the community list when a sourced park was found there.)
PLACEHOLDER_COMMUNITY = [
    ("wushan", "五山"), ("yuancun", "员村"), ("shahe", "沙河"), ("shipai", "石牌"),
    ("shadong", "沙东"), ("tianhenan", "天河南"), ("xinghua", "兴华"), ("tangxia", "棠下"),
    ("tianyuan", "天园"), ("xiancun", "冼村"), ("yuangang", "元岗"), ("longdong", "龙洞"),
    ("fenghuang", "凤凰"), ("xintang", "新塘"),
]
PLACEHOLDER_POCKET = [("shahe", "沙河"), ("shipai", "石牌"), ("linhe", "林和"), ("tianhenan", "天河南"),
                      ("tangxia", "棠下"), ("chebei", "车陂"), ("yuancun", "员村"), ("xiancun", "冼村")]
PLACEHOLDER_HA = {"community": 2.0, "pocket": 0.3}
# fmt: on


def to_metric(geom: shapely.Geometry) -> shapely.Geometry:
    """Project one WGS-84 geometry to EPSG:4547."""
    return gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(METRIC).iloc[0]


def to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """Project one EPSG:4547 geometry back to WGS-84."""
    return gpd.GeoSeries([geom], crs=METRIC).to_crs("EPSG:4326").iloc[0]


def circle(centre_m: shapely.Point, area_ha: float) -> shapely.Geometry:
    """A 64-gon around a metric point whose area is ``area_ha``."""
    radius = (area_ha * 1e4 / 3.14159265) ** 0.5
    return centre_m.buffer(radius, quad_segs=16)


def make_shape(spec: tuple) -> shapely.Geometry:
    """Turn one shape spec of the table into a metric polygon."""
    kind = spec[0]
    if kind == "box":
        return to_metric(shapely.Polygon(spec[1]))
    if kind == "circle":
        return circle(to_metric(shapely.Point(spec[1], spec[2])), spec[3])
    if kind == "ellipse":
        centre = to_metric(shapely.Point(spec[1], spec[2]))
        return affinity.scale(centre.buffer(1.0, quad_segs=16), spec[3], spec[4])
    if kind == "corridor":
        return to_metric(shapely.LineString(spec[1])).buffer(spec[2])
    if kind == "riverside":
        # ("riverside", lon_from, lon_to, offset_m, half_width_m): a strip along the Pearl
        # River line of rivers.geojson, shifted north (left of the west-to-east line).
        _, lon0, lon1, offset, half = spec
        rivers = gpd.read_file(RIVERS)
        line = rivers.loc[rivers["id"] == "river-pearl-front"].geometry.iloc[0]
        line = line.intersection(shapely.box(lon0, 23.0, lon1, 23.3))
        return to_metric(line).offset_curve(offset).buffer(half, cap_style="flat")
    msg = f"unknown shape {kind!r}"
    raise ValueError(msg)


def named_rows(boundary_m: shapely.Geometry) -> list[dict]:
    """Rows of the named parks, polygons in EPSG:4547."""
    rows = []
    for pid, tier, zh, en, spec, clip, acc, src in NAMED:
        geom = make_shape(spec)
        if clip:
            geom = geom.intersection(boundary_m)
        rows.append(
            dict(
                id=pid,
                tier=tier,
                name_zh=zh,
                name_en=en,
                approximate=True,
                source=src,
                accuracy_m=acc,
                geometry=geom,
            )
        )
    return rows


def placeholder_rows(subs: gpd.GeoDataFrame, taken_m: shapely.Geometry) -> list[dict]:
    """Placeholder community and pocket parks, one per listed subdistrict."""
    rows = []
    free = {
        r.name_zh.removesuffix("街道"): r.geometry.difference(taken_m.buffer(150.0))
        for r in subs.itertuples()
    }
    for tier, table in (("community", PLACEHOLDER_COMMUNITY), ("pocket", PLACEHOLDER_POCKET)):
        for slug, zh in table:
            area = free[zh].buffer(-120.0)  # keep clear of the cell edge
            centre = area.point_on_surface()
            geom = circle(centre, PLACEHOLDER_HA[tier])
            free[zh] = free[zh].difference(geom.buffer(300.0))
            label = "社区公园" if tier == "community" else "口袋公园"
            rows.append(
                dict(
                    id=f"park-placeholder-{tier}-{slug}",
                    tier=tier,
                    name_zh=f"{zh}{label}（示意）",
                    name_en=f"{slug.capitalize()} {tier} park (placeholder)",
                    approximate=True,
                    accuracy_m=1000.0,
                    source="placeholder: no verified park found; sited inside the approximate "
                    "subdistrict cell, size = typical for the tier",
                    geometry=geom,
                )
            )
    return rows


def main() -> None:
    """Build, check and write the parks layer."""
    boundary_m = gpd.read_file(BOUNDARY).to_crs(METRIC).union_all()
    subs = gpd.read_file(SUBDISTRICTS).to_crs(METRIC)
    rows = named_rows(boundary_m)
    taken = shapely.union_all([r["geometry"] for r in rows])
    if "--placeholders" in sys.argv:
        rows += placeholder_rows(subs, taken)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    gdf["area_ha"] = (gdf.area / 1e4).round(2)
    gdf = gdf.to_crs("EPSG:4326")
    gdf["geometry"] = shapely.make_valid(shapely.set_precision(gdf.geometry.values, 1e-7))
    # A labelled sample, not every park of the district: figures from it are lower bounds.
    gdf["layer_complete"] = False
    cols = ["id", "tier", "name_zh", "name_en", "area_ha", "approximate", "source", "accuracy_m"]
    gdf = gdf[[*cols, "layer_complete", "geometry"]]
    assert gdf["id"].is_unique and gdf.is_valid.all()
    write_vector(gdf, OUT)
    print(f"wrote {OUT}: {len(gdf)} parks")
    print(gdf.groupby("tier")["area_ha"].agg(["count", "sum"]).round(1))


if __name__ == "__main__":
    main()
