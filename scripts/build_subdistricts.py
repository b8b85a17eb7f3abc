"""Build data/geo/subdistricts.geojson: approximate polygons of the 21 街道.

No open subdistrict polygons exist for Tianhe. The polygons are derived by a
documented, reproducible method:

1. One representative point per subdistrict (its office or the centre of its
   built area) is read from ``data/geo/sources/subdistrict_seeds.csv``, which
   records where each point came from. ``subdistrict_anchors.csv`` adds
   points of places documented to lie in a given subdistrict (each row cites
   its source); an anchor's cell joins its subdistrict's polygon.
2. Voronoi cells of all these points are computed in metres (EPSG:4547), so
   each cell holds the places nearer to that point than to any other.
3. The cells and the district boundary are noded together on a 1e-7 degree
   grid and polygonised, so neighbouring polygons share identical edges: the
   result partitions the boundary exactly (no gaps, no overlaps).

Real subdistrict borders follow roads, creeks and village land and can differ
from these cells by a kilometre or more; every row says ``approximate=True``.
Each row also carries ``osm_relation``, the id of the subdistrict's
OpenStreetMap boundary relation (``data/geo/sources/subdistrict_osm_ids.csv``),
so the real polygon can be taken from an OSM extract that holds it.
Population: 2020 census (7th census bulletin of Tianhe District), rounded to
100 persons; the rounded values sum to 2,241,800 against the bulletin's
2,241,826. An authoritative layer with the same ``code`` column can replace
this one (``load_layer("subdistricts", overrides={...})``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from tianhe_geo.data.io import read_vector, write_vector

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "geo" / "sources" / "subdistrict_seeds.csv"
OSM_IDS = ROOT / "data" / "geo" / "sources" / "subdistrict_osm_ids.csv"
ANCHORS = ROOT / "data" / "geo" / "sources" / "subdistrict_anchors.csv"
OUT = ROOT / "data" / "geo" / "subdistricts.geojson"
GRID = 1e-7  # degrees, about 1 cm: the precision GeoJSON output keeps

# code -> (name_zh, name_en, 2020 census population rounded to 100)
CENSUS_2020 = {
    "440106001": ("五山街道", "Wushan Subdistrict", 142_300),
    "440106002": ("员村街道", "Yuancun Subdistrict", 123_700),
    "440106003": ("车陂街道", "Chebei Subdistrict", 172_500),
    "440106004": ("沙河街道", "Shahe Subdistrict", 44_200),
    "440106006": ("石牌街道", "Shipai Subdistrict", 177_800),
    "440106007": ("沙东街道", "Shadong Subdistrict", 36_600),
    "440106008": ("天河南街道", "Tianhenan Subdistrict", 69_800),
    "440106009": ("林和街道", "Linhe Subdistrict", 74_100),
    "440106010": ("兴华街道", "Xinghua Subdistrict", 112_200),
    "440106011": ("棠下街道", "Tangxia Subdistrict", 264_800),
    "440106012": ("天园街道", "Tianyuan Subdistrict", 92_700),
    "440106013": ("猎德街道", "Liede Subdistrict", 50_000),
    "440106014": ("冼村街道", "Xiancun Subdistrict", 58_600),
    "440106015": ("元岗街道", "Yuangang Subdistrict", 52_400),
    "440106016": ("黄村街道", "Huangcun Subdistrict", 86_900),
    "440106017": ("长兴街道", "Changxing Subdistrict", 127_800),
    "440106018": ("龙洞街道", "Longdong Subdistrict", 111_300),
    "440106019": ("凤凰街道", "Fenghuang Subdistrict", 107_600),
    "440106020": ("前进街道", "Qianjin Subdistrict", 92_800),
    "440106021": ("珠吉街道", "Zhuji Subdistrict", 143_200),
    "440106022": ("新塘街道", "Xintang Subdistrict", 100_500),
}
CENSUS_SOURCE = "Tianhe District 7th census bulletin (2020), via tcmap.com.cn; rounded to 100"


def partition(boundary: shapely.Geometry, seeds: gpd.GeoSeries) -> list[shapely.Geometry]:
    """Split ``boundary`` (lon/lat) into one polygon per seed, sharing edges exactly."""
    metric = seeds.to_crs("EPSG:4547")
    envelope = shapely.buffer(shapely.envelope(metric.union_all()), 20_000)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(metric)), extend_to=envelope)
    # Neighbouring Voronoi cells share bit-identical vertices, and so do their
    # reprojections; clipping on a fixed grid keeps the shared edges identical.
    cells_ll = gpd.GeoSeries(list(cells.geoms), crs="EPSG:4547").to_crs("EPSG:4326")
    # Voronoi cells come back in arbitrary order: put them in seed order.
    cell_i, seed_i = shapely.STRtree(list(seeds)).query(list(cells_ll), "contains")
    ordered = [None] * len(seeds)
    for c, s in zip(cell_i, seed_i, strict=True):
        ordered[s] = cells_ll.iloc[c]
    return list(shapely.intersection(ordered, boundary, grid_size=GRID))


def partition_by_code(
    boundary: shapely.Geometry, points: gpd.GeoSeries, codes: list[str]
) -> dict[str, shapely.Geometry]:
    """One polygon per code: the union of the cells of that code's points (seed and anchors)."""
    cells = partition(boundary, points)
    out = {}
    for code in dict.fromkeys(codes):
        own = [c for c, k in zip(cells, codes, strict=True) if k == code]
        # The cells share bit-identical edges on the grid, so their union is exact.
        out[code] = own[0] if len(own) == 1 else shapely.union_all(own, grid_size=GRID)
    return out


def anchors(path: Path = ANCHORS) -> pd.DataFrame:
    """Anchor points (``code``, ``lon``, ``lat``, WGS-84) with known subdistrict."""
    rows = pd.read_csv(path, dtype={"code": str})
    unknown = sorted(set(rows["code"]) - set(CENSUS_2020))
    if unknown:
        sys.exit(f"{path}: column 'code' has unknown codes {unknown}")
    return rows


def osm_relations(path: Path = OSM_IDS) -> dict[str, int | None]:
    """Code -> OSM boundary relation id (``None`` where the file leaves it empty)."""
    ids = pd.read_csv(path, dtype={"code": str, "osm_relation": "Int64"})
    unknown = sorted(set(ids["code"]) - set(CENSUS_2020))
    if unknown or ids["code"].duplicated().any():
        sys.exit(f"{path}: column 'code' has unknown {unknown} or duplicate codes")
    pairs = zip(ids["code"], ids["osm_relation"], strict=True)
    return {c: None if pd.isna(r) else int(r) for c, r in pairs}


def main(seeds_path: Path = SEEDS) -> None:
    """Build the subdistrict layer from the seeds file and the boundary layer."""
    seeds = pd.read_csv(seeds_path, dtype={"code": str})
    missing = sorted(set(CENSUS_2020) - set(seeds["code"]))
    if missing or len(seeds) != len(CENSUS_2020):
        sys.exit(f"{seeds_path}: need exactly one row per code; missing {missing}")
    relations = osm_relations()
    extra = anchors()
    lon = pd.concat([seeds["lon"], extra["lon"]], ignore_index=True)
    lat = pd.concat([seeds["lat"], extra["lat"]], ignore_index=True)
    pts = gpd.GeoSeries.from_xy(lon, lat, crs="EPSG:4326")
    boundary = read_vector(ROOT / "data" / "geo" / "boundary.geojson").union_all()
    by_code = partition_by_code(boundary, pts, [*seeds["code"], *extra["code"]])
    polys = [by_code[c] for c in seeds["code"]]
    rows = [CENSUS_2020[c] for c in seeds["code"]]
    gdf = gpd.GeoDataFrame(
        {
            "code": seeds["code"],
            "name_zh": [r[0] for r in rows],
            "name_en": [r[1] for r in rows],
            "population": [r[2] for r in rows],
            "osm_relation": pd.array([relations.get(c) for c in seeds["code"]], dtype="Int64"),
            "approximate": True,
            "source": "APPROXIMATE polygon: Voronoi of subdistrict points (data/geo/sources/"
            "subdistrict_seeds.csv, subdistrict_anchors.csv) clipped to the boundary; "
            "population: " + CENSUS_SOURCE,
            "accuracy_m": 1500.0,
        },
        geometry=polys,
        crs="EPSG:4326",
    ).sort_values("code")
    write_vector(gdf, OUT)
    print(f"wrote {OUT}: {len(gdf)} subdistricts, population {gdf['population'].sum():,}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SEEDS)
