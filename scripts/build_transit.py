"""Build data/geo/transit.geojson: metro lines and stations serving Tianhe, and the railway hub.

Where the facts come from
-------------------------
* Station positions: the community dataset ``src/data/gz.js`` of the public
  repository metromancn/MetroMapOpenMiniProgram, version at commit
  087310aa159d44583cc5fef240466439570dbd62 (the version that includes lines 11,
  21 and 22). Only facts are taken: station names and coordinates, typed into
  the table below. The coordinates are GCJ-02 (AMap/Tencent datum): read as
  WGS-84 they sit about 620 m east-south-east of the published positions; once
  converted with :func:`tianhe_geo.foundation.crs.gcj02_to_wgs84` the 广州东站 metro point
  lands about 120 m from the WGS-84 coordinate of Guangzhou East railway
  station on English Wikipedia. Every station row taken from gz.js says
  "GCJ-02 converted to WGS-84" in its ``source``.
* Positions of the stations first served by lines 10 and 13 (杨箕东, 棠下,
  天河珠村), and of line 18's 磨碟沙 platform: OpenStreetMap, as extracted in
  ``js/geo.js`` of the public repository JamieStudio-lab/guangzhou-metro-typing,
  commit 6bdc2788be78c4e9745e0b74d9d23e0589f0aa1e (generated from the Overpass
  API, fetched 2026-07-14; map data (c) OpenStreetMap contributors, ODbL). OSM
  is WGS-84, so these are used as published. 磨碟沙: gz.js has a single point
  for the line 8 / line 18 interchange that, once converted, lies 213 m from
  OSM's line 8 platform and 263 m from its line 18 platform (the accuracy
  check, ``scripts/check_transit_accuracy.py``); this layer draws only line 18
  there, so the row takes OSM's line 18 platform point. Cross-check: for the stations both
  datasets share, the OSM point of the same line's platform is 7-81 m from the
  converted gz.js point (五羊邨 7 m, 天河公园 14 m, 车陂 10 m, 鱼珠 17 m, 冼村 24 m,
  广州东站 81 m), so the two sources agree in datum.
* Station order of each line, line status and opening facts: Guangzhou Metro
  as reported in the press (line 11 opened 2024-12-28; its 广州东站 platform was
  not yet in service then and opened 2025-09-29) and English Wikipedia; the
  gz.js version used omits 广州东站 from line 11, it is inserted between 龙口西
  and 沙河 as on the approved route.
* Line 10 (西塱–杨箕东, 12 stations) opened 2025-06-29 (press report of
  2025-06-30, digitalmarketreports.com, "Guangzhou's first metro line with
  GoA4 ..."); its terminus 杨箕东 lies just inside Tianhe (about 70 m from the
  boundary). Only 五羊邨–杨箕东 is drawn.
* Line 13 phase 2, first section 天河公园–棠下–车陂–天河珠村–鱼珠, opened
  2025-09-29 (community opening-timeline datasets on GitHub; the same station
  sequence is in OpenStreetMap as of 2026-07-14). The rest of phase 2 (朝阳 to
  天河公园, from the west) is under construction; its stations in Tianhe could
  not be sourced, so it is left out.
* Line 18 冼村–广州东站: part of line 18's first phase (English Wikipedia:
  seven stations between 万顷沙 and 广州东站, i.e. none between 冼村 and
  广州东站) that has not opened (OpenStreetMap 2026-07-14 still ends the line
  at 冼村); community datasets of Guangzhou lines (AMap-derived) list it as
  "18号线后通段" among segments under construction or planned. The north
  extension beyond 广州东站 to 花都 (newsgd.com 2022-03-15: 7 stations, opening
  expected end 2026) has no station within 3 km beyond 广州东站. Drawn as
  ``under_construction``; whether it opened in late 2026 was not found.

Rows for lines that are not yet operating: a station served only by such
lines is one row with that line's status. Where such a line calls at a station
that already operates on other lines, the existing (operating) row is left
unchanged (its ``line`` lists operating lines only) and the new platform gets a
separate row ``st-<station>-<line>`` with the new line's status, the same
point and ``interchange = True``; an extension calling at its own line's
existing platform (冼村 for 18N) reuses that row. "Before" scenarios can
therefore drop every row whose status is not ``operating``.

Not included: line 10 beyond 杨箕东 (a 2020 plan had it continue to 石牌桥 and
take over line 3's 石牌桥–天河客运站 branch; no current station list or
position found) and the western part of line 13 phase 2 (see above); line 28
(route through Tianhe reported in 2019 but stations "not officially
confirmed"); line 13 phase 1 (鱼珠–新沙) does not reach Tianhe; line 12's east
section (二沙岛–大学城南) stays in Yuexiu/Haizhu.

Each line keeps the one station just outside the district at each end where it
leaves Tianhe, so lines draw continuously; every feature lies within 3 km of
the district boundary (checked before writing).

Track alignments and colours
----------------------------
* Between consecutive stations a line follows the real track: OpenStreetMap ways
  of the Guangzhou ``route=subway`` relations as exported (Overpass API) in
  ``data/raw/gz_metro_lines.geojson`` of the public repository
  YuuK1-ASN/SmartCity-Guangzhou, commit e59e4e917cb12890b2faa626f67177f2ae130d32
  (map data (c) OpenStreetMap contributors, ODbL; WGS-84). The subset used, the
  ways of the lines drawn here within a box around Tianhe, is committed as
  ``data/geo/sources/transit_osm_ways.geojson`` (extraction rule in its
  ``metadata``), so the build needs no network.
* :class:`TrackGraph` joins the ways of a line (:data:`TRACK_NAMES`) at shared
  vertices and bridges gaps between way ends up to :data:`GAP_M`;
  :func:`track_route` links each station to the nearest vertex of each track
  within :data:`SNAP_M` and takes the shortest path (links and bridges cost
  :data:`LINK_PENALTY` times their length, so real track is preferred). The line
  passes through its station points; the links from a station point to the track
  and the bridges are straight. Where no path exists, or it is more than
  :data:`MAX_DETOUR` times the straight distance, the segment stays straight
  (schematic): OSM's line 21 ends at 天河公园 (员村–天河公园), the export has no
  ways of line 13 phase 2 (all of line 13 here) and line 18N is not built.
* Line colours (:data:`COLOURS`): the Guangzhou palette of the community Rail Map
  Generator project (railmapgen/rmg-palette,
  ``public/resources/palettes/guangzhou.json`` at commit
  1172026a589b5d9b4f6362a918225b836eb4728f), one hex colour per Guangzhou Metro
  line; not checked against a Guangzhou Metro publication. The ``color`` property
  of the OSM export is that repository's own choice and is not used.

Run::

    PYTHONPATH=src python scripts/build_transit.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from tianhe_geo.data.io import read_vector, write_vector
from tianhe_geo.foundation.crs import gcj02_to_wgs84

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "transit.geojson"
BOUNDARY = ROOT / "data" / "geo" / "boundary.geojson"
WAYS = ROOT / "data" / "geo" / "sources" / "transit_osm_ways.geojson"
MAX_OUTSIDE_M = 3000.0
METRIC_CRS = "EPSG:4547"  # CGCS2000 / 3-degree GK CM 114E, metres

GZJS = (
    "metromancn/MetroMapOpenMiniProgram src/data/gz.js @087310aa "
    "(community map dataset), GCJ-02 converted to WGS-84"
)
ACCURACY_M = 100.0
OSM = (
    "OpenStreetMap via JamieStudio-lab/guangzhou-metro-typing js/geo.js @6bdc2788 "
    "(Overpass, fetched 2026-07-14), WGS-84 as published"
)
# A new platform at an existing station reuses that station's point.
REUSED_ACCURACY_M = 300.0
OSM_WAYS = (
    "OpenStreetMap subway ways via YuuK1-ASN/SmartCity-Guangzhou "
    "data/raw/gz_metro_lines.geojson @e59e4e91 (Overpass; subset in "
    "sources/transit_osm_ways.geojson), WGS-84 as published, ODbL"
)
COLOUR_SOURCE = "railmapgen/rmg-palette public/resources/palettes/guangzhou.json @1172026a"

# Routing along the OSM track (metres, EPSG:4547).
SNAP_M = 300.0  # a station is linked to a track vertex at most this far away
GAP_M = 800.0  # a way end is bridged to another track at most this far away
LINK_PENALTY = 10.0  # links and bridges cost this many times their length
MAX_DETOUR = 2.0  # a track path longer than this times the straight line is not used

# Line id -> OSM way names (``name`` tag) whose tracks it runs on. Line 3 and its north
# extension meet at 体育西路, so both use all three line 3 names; the siding
# 21号线（侧线） is not used.
_LINE3 = {"广州地铁3号线", "广州地铁3号线支线", "广州地铁3号线北延段"}
TRACK_NAMES = {
    "1": {"广州地铁1号线"},
    "3": _LINE3,
    "3N": _LINE3,
    "4": {"广州地铁4号线"},
    "5": {"广州地铁5号线"},
    "6": {"广州地铁6号线"},
    "10": {"广州地铁10号线"},
    "11": {"广州地铁11号线"},
    "13": {"广州地铁13号线"},
    "18": {"广州地铁18号线"},
    "18N": {"广州地铁18号线"},
    "21": {"广州地铁21号线"},
    "APM": {"珠江新城旅客自动输送系统"},
}

# Line id -> colour (rmg-palette guangzhou.json; an extension takes its line's colour).
COLOURS = {
    "1": "#F3D03E",
    "3": "#ECA154",
    "3N": "#ECA154",
    "4": "#00843D",
    "5": "#C5003E",
    "6": "#80225F",
    "10": "#7D9BC1",
    "11": "#470A68",
    "13": "#8E8C13",
    "18": "#0047BA",
    "18N": "#0047BA",
    "21": "#201747",
    "APM": "#00B5E2",
}

# Station facts: slug -> (name_zh, name_en, GCJ-02 lon, GCJ-02 lat), positions from gz.js.
STATIONS = {
    "yangji": ("杨箕", "Yangji", 113.307528, 23.127536),
    "tiyuxilu": ("体育西路", "Tiyu Xilu", 113.321501, 23.131140),
    "tiyuzhongxin": ("体育中心", "Tiyu Zhongxin", 113.328376, 23.134566),
    "guangzhoudongzhan": ("广州东站", "Guangzhou East Railway Station", 113.324179, 23.150323),
    "guangzhouta": ("广州塔", "Canton Tower", 113.323465, 23.106486),
    "zhujiangxincheng": ("珠江新城", "Zhujiang New Town", 113.321207, 23.119365),
    "shipaiqiao": ("石牌桥", "Shipaiqiao", 113.332123, 23.133134),
    "gangding": ("岗顶", "Gangding", 113.339600, 23.134878),
    "huashi": ("华师", "South China Normal University", 113.345332, 23.140293),
    "wushan": ("五山", "Wushan", 113.351811, 23.152835),
    "tianhekeyunzhan": ("天河客运站", "Tianhe Coach Terminal", 113.344214, 23.170660),
    "linhexi": ("林和西", "Linhexi", 113.323902, 23.141365),
    "yantang": ("燕塘", "Yantang", 113.327058, 23.160250),
    "meihuayuan": ("梅花园", "Meihuayuan", 113.320402, 23.175098),
    "wanshengwei": ("万胜围", "Wanshengwei", 113.384563, 23.097761),
    "chebeinan": ("车陂南", "Chebei South", 113.390002, 23.115855),
    "chebei": ("车陂", "Chebei", 113.395583, 23.124277),
    "huangcun": ("黄村", "Huangcun", 113.407046, 23.132083),
    "wuyangcun": ("五羊邨", "Wuyangcun", 113.314247, 23.119845),
    "liede": ("猎德", "Liede", 113.332107, 23.118541),
    "tancun": ("潭村", "Tancun", 113.345946, 23.117365),
    "yuancun": ("员村", "Yuancun", 113.363756, 23.115515),
    "keyunlu": ("科韵路", "Keyun Lu", 113.377214, 23.119279),
    "dongpu": ("东圃", "Dongpu", 113.401558, 23.109392),
    "sanxi": ("三溪", "Sanxi", 113.415786, 23.104097),
    "yuzhu": ("鱼珠", "Yuzhu", 113.432281, 23.100345),
    "shaheding": ("沙河顶", "Shahe Ding", 113.306968, 23.147278),
    "shahe": ("沙河", "Shahe", 113.312510, 23.152068),
    "tianpingjia": ("天平架", "Tianpingjia", 113.321356, 23.159522),
    "changban": ("长湴", "Changban", 113.349321, 23.178370),
    "zhiwuyuan": ("植物园", "Botanical Garden", 113.365679, 23.190168),
    "longdong": ("龙洞", "Longdong", 113.377518, 23.190954),
    "kemulang": ("柯木塱", "Kemulang", 113.396602, 23.193524),
    "gaotangshi": ("高塘石", "Gaotangshi", 113.410407, 23.191055),
    "huangbei": ("黄陂", "Huangpi", 113.433732, 23.188371),
    "jinfeng": ("金峰", "Jinfeng", 113.451071, 23.181316),
    "pazhou": ("琶洲", "Pazhou", 113.366704, 23.098518),
    "tianhegongyuan": ("天河公园", "Tianhe Park", 113.362876, 23.125318),
    "huajinglu": ("华景路", "Huajing Lu", 113.360099, 23.134268),
    "longkouxi": ("龙口西", "Longkou West", 113.337668, 23.141473),
    "yuntaihuayuan": ("云台花园", "Yuntai Garden", 113.292548, 23.153899),
    "xiancun": ("冼村", "Xiancun", 113.328157, 23.125722),
    "tangdong": ("棠东", "Tangdong", 113.389742, 23.130919),
    "daguannanlu": ("大观南路", "Daguan Nanlu", 113.406950, 23.144574),
    "tianhezhihuicheng": ("天河智慧城", "Tianhe Smart City", 113.403188, 23.163270),
    "shenzhoulu": ("神舟路", "Shenzhou Lu", 113.431751, 23.165212),
    "kexuecheng": ("科学城", "Science City", 113.449519, 23.165787),
    "tiyuzhongxinnan": ("体育中心南", "Tiyu Zhongxin South", 113.324303, 23.134363),
    "tianhenan": ("天河南", "Tianhe South", 113.324491, 23.131198),
    "huangpudadao": ("黄埔大道", "Huangpu Dadao", 113.324495, 23.126996),
    "fuerzhongxin": ("妇儿中心", "Women and Children's Medical Center", 113.324481, 23.123227),
    "huachengdadao": ("花城大道", "Huacheng Dadao", 113.324704, 23.119105),
    "dajuyuan": ("大剧院", "Opera House", 113.324463, 23.115407),
    "haixinsha": ("海心沙", "Haixinsha", 113.324401, 23.111554),
}

# Positions from OpenStreetMap (WGS-84, no conversion): the stations first served by lines 10
# and 13, and line 18's 磨碟沙 platform (gz.js has one point for the 8/18 interchange, 263 m
# from the line 18 platform; only line 18 is drawn here).
# slug -> (name_zh, name_en, WGS-84 lon, WGS-84 lat).
STATIONS_WGS84 = {
    "yangjidong": ("杨箕东", "Yangji East", 113.31050, 23.12713),
    "tangxia": ("棠下", "Tangxia", 113.37705, 23.12782),
    "tianhezhucun": ("天河珠村", "Tianhe Zhucun", 113.41519, 23.11899),
    "modiesha": ("磨碟沙", "Modiesha", 113.33838, 23.10362),
}

# Line facts: id -> (name_zh, name_en, status, stations in travel order).
# The first/last station is the neighbour just outside Tianhe where the line leaves it.
LINES = {
    "1": (
        "1号线",
        "Line 1",
        "operating",
        ["yangji", "tiyuxilu", "tiyuzhongxin", "guangzhoudongzhan"],
    ),
    "3": (
        "3号线",
        "Line 3",
        "operating",
        [
            "guangzhouta",
            "zhujiangxincheng",
            "tiyuxilu",
            "shipaiqiao",
            "gangding",
            "huashi",
            "wushan",
            "tianhekeyunzhan",
        ],
    ),
    "3N": (
        "3号线北延段",
        "Line 3 (North Extension)",
        "operating",
        ["tiyuxilu", "linhexi", "guangzhoudongzhan", "yantang", "meihuayuan"],
    ),
    "4": ("4号线", "Line 4", "operating", ["wanshengwei", "chebeinan", "chebei", "huangcun"]),
    "5": (
        "5号线",
        "Line 5",
        "operating",
        [
            "wuyangcun",
            "zhujiangxincheng",
            "liede",
            "tancun",
            "yuancun",
            "keyunlu",
            "chebeinan",
            "dongpu",
            "sanxi",
            "yuzhu",
        ],
    ),
    "6": (
        "6号线",
        "Line 6",
        "operating",
        [
            "shaheding",
            "shahe",
            "tianpingjia",
            "yantang",
            "tianhekeyunzhan",
            "changban",
            "zhiwuyuan",
            "longdong",
            "kemulang",
            "gaotangshi",
            "huangbei",
            "jinfeng",
        ],
    ),
    # Loop line, opened 2024-12-28; its 广州东站 platform opened later than the line.
    "11": (
        "11号线",
        "Line 11",
        "operating",
        [
            "pazhou",
            "yuancun",
            "tianhegongyuan",
            "huajinglu",
            "huashi",
            "longkouxi",
            "guangzhoudongzhan",
            "shahe",
            "yuntaihuayuan",
        ],
    ),
    "18": ("18号线", "Line 18", "operating", ["modiesha", "xiancun"]),
    "21": (
        "21号线",
        "Line 21",
        "operating",
        [
            "yuancun",
            "tianhegongyuan",
            "tangdong",
            "huangcun",
            "daguannanlu",
            "tianhezhihuicheng",
            "shenzhoulu",
            "kexuecheng",
        ],
    ),
    # Opened 2025-06-29 (西塱–杨箕东); only its last stop before and its terminus in Tianhe.
    "10": ("10号线", "Line 10", "operating", ["wuyangcun", "yangjidong"]),
    # Phase 2 first section 天河公园–鱼珠, opened 2025-09-29.
    "13": (
        "13号线",
        "Line 13",
        "operating",
        ["tianhegongyuan", "tangxia", "chebei", "tianhezhucun", "yuzhu"],
    ),
    # 冼村–广州东站, not yet open; calls at line 18's existing 冼村 platform.
    "18N": (
        "18号线（冼村—广州东站段）",
        "Line 18 (Xiancun–Guangzhou East section)",
        "under_construction",
        ["xiancun", "guangzhoudongzhan"],
    ),
    "APM": (
        "APM线",
        "APM Line",
        "operating",
        [
            "linhexi",
            "tiyuzhongxinnan",
            "tianhenan",
            "huangpudadao",
            "fuerzhongxin",
            "huachengdadao",
            "dajuyuan",
            "haixinsha",
            "guangzhouta",
        ],
    ),
}

# The railway hub, WGS-84 as published (English Wikipedia infobox).
RAIL = {
    "id": "rail-guangzhou-east",
    "name_zh": "广州东站",
    "name_en": "Guangzhou East Railway Station",
    "lon": 113.3197472,
    "lat": 23.1534944,
    "source": "English Wikipedia, Guangzhou East railway station infobox, WGS-84",
}

STATUS_RANK = {"operating": 0, "under_construction": 1, "planned": 2}

# A not-yet-operating extension -> its operating parent line: at stations the parent already
# serves, the extension uses the parent's platform (no separate row).
PARENT = {"18N": "18"}

# Where each line's status / opening date comes from (appended to the line's source).
LINE_NOTES = {
    "10": "opened 2025-06-29 (press report 2025-06-30)",
    "11": "opened 2024-12-28, its 广州东站 platform 2025-09-29 (community opening timeline)",
    "13": "phase 2 section 天河公园–鱼珠 opened 2025-09-29 (community opening timeline; "
    "same sequence in OSM 2026-07-14)",
    "18N": "not open as of OSM 2026-07-14 (line ends at 冼村); no station between 冼村 and "
    "广州东站 (English Wikipedia, Line 18); 广州东站 platform point reused from the existing "
    "station, position inferred",
}


def station_points() -> dict[str, shapely.Point]:
    """Convert every gz.js station's GCJ-02 coordinate to WGS-84; add the OSM (WGS-84) ones."""
    slugs = list(STATIONS)
    lon, lat = gcj02_to_wgs84([STATIONS[s][2] for s in slugs], [STATIONS[s][3] for s in slugs])
    pts = {
        s: shapely.Point(round(x, 7), round(y, 7)) for s, x, y in zip(slugs, lon, lat, strict=True)
    }
    for s, (_, _, x, y) in STATIONS_WGS84.items():
        pts[s] = shapely.Point(x, y)
    return pts


class TrackGraph:
    """The OSM ways of one line as a graph in metres, with bridges over gaps between ways."""

    def __init__(self, geoms: gpd.GeoSeries):
        xy, a, b = [], [], []
        for g in geoms:
            c = np.asarray(g.coords)
            i0 = len(xy)
            xy.extend(map(tuple, c))
            a.extend(range(i0, i0 + len(c) - 1))
            b.extend(range(i0 + 1, i0 + len(c)))
        xy = np.asarray(xy)
        # Ways share their end vertices: coordinates equal to the millimetre are one node.
        _, first, inv = np.unique(np.round(xy, 3), axis=0, return_index=True, return_inverse=True)
        inv = inv.ravel()
        self.nodes = xy[first]
        a, b = inv[a], inv[b]
        n = len(self.nodes)
        w = np.hypot(*(self.nodes[a] - self.nodes[b]).T)
        _, self.label = connected_components(
            coo_matrix((w + 1e-9, (a, b)), shape=(n, n)), directed=False
        )
        self.tree = cKDTree(self.nodes)
        degree = np.bincount(np.r_[a, b], minlength=n)
        self.bridges: set[tuple[int, int]] = set()
        for end in np.flatnonzero(degree == 1):
            near = self.tree.query_ball_point(self.nodes[end], GAP_M)
            other = [m for m in near if self.label[m] != self.label[end]]
            if other:
                m = min(other, key=lambda k, e=end: self.dist(k, e))
                self.bridges |= {(int(end), int(m)), (int(m), int(end))}
        pairs = np.array(sorted(self.bridges), dtype=int).reshape(-1, 2)
        bw = np.hypot(*(self.nodes[pairs[:, 0]] - self.nodes[pairs[:, 1]]).T) * LINK_PENALTY
        self.matrix = coo_matrix(
            (np.r_[w, bw] + 1e-9, (np.r_[a, pairs[:, 0]], np.r_[b, pairs[:, 1]])), shape=(n, n)
        ).tocsr()

    def dist(self, i: int, j: int) -> float:
        """Distance between two nodes (m)."""
        return float(np.hypot(*(self.nodes[i] - self.nodes[j])))

    def snaps(self, p: np.ndarray) -> list[tuple[int, float]]:
        """Nearest node of each connected track within SNAP_M of ``p``, with its distance."""
        best: dict[int, tuple[int, float]] = {}
        for m in self.tree.query_ball_point(p, SNAP_M):
            d = float(np.hypot(*(self.nodes[m] - p)))
            if self.label[m] not in best or d < best[self.label[m]][1]:
                best[self.label[m]] = (m, d)
        return list(best.values())


def track_route(p: np.ndarray, q: np.ndarray, graph: TrackGraph | None):
    """Path from station ``p`` to station ``q`` (metric) along the track, or None.

    Returns ``(coordinates, straight_m)``: the vertices from ``p`` to ``q`` and the length of
    the path's straight pieces (station-to-track links and bridges). None when either station
    is more than SNAP_M from the track, no path joins them, or the path is a detour.
    """
    if graph is None:
        return None
    start, end = graph.snaps(p), graph.snaps(q)
    if not start or not end:
        return None
    cost, pred = dijkstra(
        graph.matrix, directed=False, indices=[m for m, _ in start], return_predecessors=True
    )
    best = None
    for i, (na, da) in enumerate(start):
        for nb, db in end:
            total = LINK_PENALTY * (da + db) + cost[i, nb]
            if np.isfinite(total) and (best is None or total < best[0]):
                best = (total, i, na, nb, da + db)
    if best is None:
        return None
    _, i, na, nb, links = best
    path = [nb]
    while path[-1] != na:
        path.append(int(pred[i, path[-1]]))
    path.reverse()
    coords = [tuple(p), *(tuple(graph.nodes[k]) for k in path), tuple(q)]
    if shapely.LineString(coords).length > MAX_DETOUR * float(np.hypot(*(p - q))):
        return None
    pieces = itertools.pairwise(path)
    bridged = sum(graph.dist(x, y) for x, y in pieces if (x, y) in graph.bridges)
    return coords, links + bridged


def track_graphs() -> dict[str, TrackGraph]:
    """One track graph per line that has OSM ways in the committed subset."""
    ways = read_vector(WAYS).to_crs(METRIC_CRS)
    graphs = {}
    for line_id, names in TRACK_NAMES.items():
        g = ways.geometry[ways["name"].isin(names)]
        if len(g):
            graphs[line_id] = TrackGraph(g)
    return graphs


def line_geometry(seq: list[str], pts: dict, graph: TrackGraph | None):
    """A line through its stations along the track (WGS-84), with its straight parts.

    Returns ``(geometry, straight_m, schematic)``: ``straight_m`` is the total length of the
    straight links, bridges and segments, ``schematic`` the station pairs joined by a straight
    segment because no track path was found.
    """
    metric = gpd.GeoSeries([pts[s] for s in seq], crs="EPSG:4326").to_crs(METRIC_CRS)
    xy = [np.asarray(g.coords[0]) for g in metric]
    coords = [tuple(xy[0])]
    straight = 0.0
    schematic = []
    for k in range(len(seq) - 1):
        found = track_route(xy[k], xy[k + 1], graph)
        if found is None:
            coords.append(tuple(xy[k + 1]))
            straight += float(np.hypot(*(xy[k] - xy[k + 1])))
            schematic.append(f"{seq[k]}–{seq[k + 1]}")
        else:
            coords.extend(found[0][1:])
            straight += found[1]
    line = gpd.GeoSeries([shapely.LineString(coords)], crs=METRIC_CRS).to_crs("EPSG:4326")
    # 7 decimals (about 1 cm) as the sources; repeated vertices (way joins) drop out.
    geom = shapely.set_precision(line.iloc[0], 1e-7)
    return geom, straight, schematic


def line_source(seq: list[str], straight_m: float, schematic: list[str]) -> str:
    """The ``source`` of a line row: its stations, the track and where it is schematic."""
    via = GZJS if not set(seq) & set(STATIONS_WGS84) else GZJS + " and " + OSM
    if len(schematic) == len(seq) - 1:
        between = "schematic between stations (straight: no OSM track in the source)"
    else:
        between = f"between stations the track ({OSM_WAYS}), {straight_m:.0f} m of it "
        between += "straight links to station points and over gaps"
        if schematic:
            between += "; straight (schematic, no OSM track): " + ", ".join(schematic)
    return (
        "passes through its stations (" + via + "); station order: "
        "Guangzhou Metro / English Wikipedia; " + between + "; colour: " + COLOUR_SOURCE
    )


def _status(line_id: str) -> str:
    return LINES[line_id][2]


def station_row_id(slug: str, line_id: str, operating_lines: list[str]) -> str:
    """Id of the station row a line's vertex refers to (see the module docstring)."""
    if _status(line_id) == "operating" or not operating_lines:
        return f"st-{slug}"
    if PARENT.get(line_id) in operating_lines:
        return f"st-{slug}"
    return f"st-{slug}-{line_id}"


def build() -> gpd.GeoDataFrame:
    """Station rows (see the module docstring), one row per line, one for the railway hub."""
    pts = station_points()
    names = {s: (v[0], v[1]) for s, v in STATIONS.items()}
    names.update({s: (v[0], v[1]) for s, v in STATIONS_WGS84.items()})
    serving: dict[str, list[str]] = {s: [] for s in names}
    for line_id, (_, _, _, seq) in LINES.items():
        for s in seq:
            serving[s].append(line_id)
    unused = [s for s, lines in serving.items() if not lines]
    if unused:
        sys.exit(f"stations on no line: {unused}")
    operating = {
        s: [ln for ln in lines if _status(ln) == "operating"] for s, lines in serving.items()
    }

    rows = []

    def station_row(row_id, slug, lines, status, interchange, source, accuracy):
        zh, en = names[slug]
        return {
            "id": row_id,
            "kind": "station",
            "line": ";".join(lines),
            "status": status,
            "interchange": interchange,
            "stations": row_id,
            "name_zh": zh,
            "name_en": en,
            "source": source,
            "accuracy_m": accuracy,
            "colour": None,
            "geometry": pts[slug],
        }

    for s in names:
        src = OSM if s in STATIONS_WGS84 else GZJS
        op = operating[s]
        future = [ln for ln in serving[s] if ln not in op]
        if op:
            rows.append(station_row(f"st-{s}", s, op, "operating", len(op) >= 2, src, ACCURACY_M))
            for ln in future:
                if PARENT.get(ln) in op:
                    continue
                rows.append(
                    station_row(
                        f"st-{s}-{ln}",
                        s,
                        [ln],
                        _status(ln),
                        True,
                        f"new line {ln} platform at the existing station; position inferred: "
                        f"reuses the st-{s} point ({src})",
                        REUSED_ACCURACY_M,
                    )
                )
        else:
            status = min((_status(ln) for ln in future), key=STATUS_RANK.__getitem__)
            rows.append(
                station_row(f"st-{s}", s, future, status, len(future) >= 2, src, ACCURACY_M)
            )
    graphs = track_graphs()
    for line_id, (zh, en, status, seq) in LINES.items():
        geometry, straight_m, schematic = line_geometry(seq, pts, graphs.get(line_id))
        source = line_source(seq, straight_m, schematic)
        if line_id in LINE_NOTES:
            source += "; " + LINE_NOTES[line_id]
        accuracy = ACCURACY_M
        ids = [station_row_id(s, line_id, operating[s]) for s in seq]
        if any(i != f"st-{s}" for i, s in zip(ids, seq, strict=True)):
            accuracy = REUSED_ACCURACY_M
        rows.append(
            {
                "id": f"line-{line_id}",
                "kind": "line",
                "line": line_id,
                "status": status,
                "interchange": False,
                "stations": ";".join(ids),
                "name_zh": zh,
                "name_en": en,
                "source": source,
                "accuracy_m": accuracy,
                "colour": COLOURS[line_id],
                "geometry": geometry,
            }
        )
    rows.append(
        {
            "id": RAIL["id"],
            "kind": "rail_station",
            "line": "rail",
            "status": "operating",
            "interchange": False,
            "stations": RAIL["id"],
            "name_zh": RAIL["name_zh"],
            "name_en": RAIL["name_en"],
            "source": RAIL["source"],
            "accuracy_m": ACCURACY_M,
            "colour": None,
            "geometry": shapely.Point(RAIL["lon"], RAIL["lat"]),
        }
    )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    dup = gdf["id"][gdf["id"].duplicated()].tolist()
    if dup:
        sys.exit(f"duplicate ids: {dup}")
    return gdf


def check(gdf: gpd.GeoDataFrame) -> None:
    """Stop if any feature reaches more than 3 km outside the boundary; print datum checks."""
    boundary = read_vector(BOUNDARY).to_crs(METRIC_CRS).union_all()
    metric = gdf.to_crs(METRIC_CRS)
    zone = boundary.buffer(MAX_OUTSIDE_M)
    bad = gdf.loc[~metric.geometry.within(zone), "id"].tolist()
    if bad:
        sys.exit(f"features more than {MAX_OUTSIDE_M:.0f} m outside the boundary: {bad}")
    gz = metric.set_index("id").geometry
    d = gz["st-guangzhoudongzhan"].distance(gz[RAIL["id"]])
    print(f"metro 广州东站 (converted) to Wikipedia rail coordinate: {d:.0f} m")
    inside = np.mean([boundary.contains(g) for g in metric.geometry[metric["kind"] == "station"]])
    print(f"stations inside the boundary: {inside:.0%}")


def main() -> None:
    """Build, check and write the transit layer."""
    gdf = build()
    check(gdf)
    write_vector(gdf, OUT)
    counts = {ln: len(v[3]) for ln, v in LINES.items()}
    st = gdf[gdf["kind"] == "station"]
    print(
        f"wrote {OUT}: {len(gdf)} rows "
        f"({len(st)} station rows, {len(LINES)} lines, 1 rail hub); "
        f"status counts: {gdf['status'].value_counts().to_dict()}"
    )
    print("stations per line:", counts)


if __name__ == "__main__":
    main()
