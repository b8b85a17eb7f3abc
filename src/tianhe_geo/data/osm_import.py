"""Turn one OpenStreetMap extract into tianhe-geo layers (pure: nothing is written here).

:func:`import_osm` reads the extract once for its tagged nodes and areas
(:func:`tianhe_geo.data.osm.read_osm_features`) and builds, where the extract
has them:

* ``boundary`` - the ``boundary=administrative`` area chosen (``boundary_relation``,
  else the complete one of the lowest ``admin_level``); without any complete admin
  area, the convex hull of the features read ("extract area");
* ``subdistricts`` - complete admin areas of the next ``admin_level`` inside it; an
  area whose relation id is a shipped subdistrict's ``osm_relation`` takes that
  subdistrict's code, names and census population, others the ``population`` tag
  (0 when absent, counted in the report);
* ``parks`` - areas of :data:`PARK_TAGS`, tier from their size
  (:data:`~tianhe_geo.foundation.standards.PARK_SIZE_CLASSES`);
* ``facilities`` - nodes and areas (as a point on the area) by :data:`FACILITY_TAGS`;
* ``buildings`` - ``building=*`` areas (not ``building=no``, read in a second pass):
  the ``building`` tag and ``levels`` (``building:levels`` where numeric);
* ``residential`` - ``landuse=residential`` areas, with ``area_ha``;
* ``transit`` - metro stations (``station=subway`` or ``subway=yes``) and railway
  stations (``railway=station`` with ``train=yes``); metro lines, one per ``ref`` of
  the ``route=subway|light_rail`` relations (both directions merged), drawn along
  their member ways with their ``name`` and ``colour``, cut 3 km beyond the area;
  ``railway=subway|light_rail`` track no route covers becomes one ``unknown`` line.
  A station's ``line`` lists the routes it, or a stop in its ``stop_area``, belongs to.

Every feature keeps its OSM object (``osm_id``: ``node/123``, ``way/45``,
``relation/6``), the tag that made it (``source``) with the attribution
:data:`ATTRIBUTION`, and ``layer_complete = False``: OpenStreetMap is open-ended,
so counts from it are lower bounds unless the user says otherwise.

Facility tags
-------------
The first row of :data:`FACILITY_TAGS` that matches wins. *School level* is
the first of: ``isced:level`` (1 primary, 2 or 3 middle), ``school`` =
``primary`` / ``secondary`` / ``middle``, the name holding 小学 (primary) or
中学 (middle). A school whose level none of these gives is not guessed: it is
listed among the unmapped objects, as is any object that matches a row's tag
but not its condition (a ``social_facility`` not for seniors).

================  =====================================  ==============================
category          tag                                    condition
================  =====================================  ==============================
hospital          amenity=hospital, healthcare=hospital  -
community_health  amenity=clinic, amenity=doctors,       -
                  healthcare=clinic, healthcare=centre,
                  healthcare=doctor
primary_school    amenity=school                         school level primary
middle_school     amenity=school                         school level middle
kindergarten      amenity=kindergarten                   -
elderly_care      amenity=nursing_home,                  -
                  social_facility=nursing_home,
                  social_facility=assisted_living
elderly_care      amenity=social_facility                social_facility:for=senior or
                                                         elderly
library_culture   amenity=library, amenity=arts_centre,  -
                  amenity=community_centre
sports            leisure=sports_centre,                 -
                  leisure=stadium, leisure=sports_hall
================  =====================================  ==============================

Parks: ``leisure`` = ``park`` or ``garden``, ``landuse=recreation_ground``;
``access`` = ``private`` / ``no`` excluded (a private garden serves nobody
else). Park nodes (no area) are counted in the report, not imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..foundation.crs import STORAGE_CRS, measure_crs
from ..foundation.errors import DataSourceError
from ..foundation.i18n import label
from ..foundation.standards import PARK_SIZE_SOURCE, park_tier
from .osm import OsmRoutes, read_cut_areas, read_osm_features, read_osm_routes
from .schemas import LAYER_COMPLETE, SCHEMAS

if TYPE_CHECKING:
    import geopandas as gpd

#: Attribution every imported feature carries (and the data folder's ATTRIBUTION.txt).
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"

#: Positional accuracy assumed for OSM features, metres.
OSM_ACCURACY_M = 20.0


@dataclass(frozen=True)
class TagRule:
    """One row of a tag -> category table.

    Attributes
    ----------
    category : str
        Vocabulary code the object gets.
    key : str
        Tag key.
    values : frozenset of str
        Tag values that match.
    when : tuple
        ``(key, values)``: the object must also carry one of these values
        (``school_level`` is the derived school level); empty for none.
    """

    category: str
    key: str
    values: frozenset[str]
    when: tuple[str, frozenset[str]] | tuple[()] = field(default=())


def _rule(category: str, key: str, values: str, when: tuple[str, str] | None = None) -> TagRule:
    cond: tuple[str, frozenset[str]] | tuple[()] = (
        (when[0], frozenset(when[1].split())) if when else ()
    )
    return TagRule(category, key, frozenset(values.split()), cond)


#: The one tag -> facility category table (see the module docstring), first match wins.
FACILITY_TAGS = (
    _rule("hospital", "amenity", "hospital"),
    _rule("hospital", "healthcare", "hospital"),
    _rule("community_health", "amenity", "clinic doctors"),
    _rule("community_health", "healthcare", "clinic centre doctor"),
    _rule("primary_school", "amenity", "school", ("school_level", "primary")),
    _rule("middle_school", "amenity", "school", ("school_level", "middle")),
    _rule("kindergarten", "amenity", "kindergarten"),
    _rule("elderly_care", "amenity", "nursing_home"),
    _rule("elderly_care", "social_facility", "nursing_home assisted_living"),
    _rule("elderly_care", "amenity", "social_facility", ("social_facility:for", "senior elderly")),
    _rule("library_culture", "amenity", "library arts_centre community_centre"),
    _rule("sports", "leisure", "sports_centre stadium sports_hall"),
)

#: Tags that make a park: (key, values).
PARK_TAGS = (
    ("leisure", frozenset({"park", "garden"})),
    ("landuse", frozenset({"recreation_ground"})),
)

_NO_ACCESS = frozenset({"private", "no"})


@dataclass
class OsmImport:
    """The layers built from one extract, and what was left out.

    Attributes
    ----------
    layers : dict
        Layer name -> GeoDataFrame (EPSG:4326), only the layers the extract holds.
    unmapped : pandas.DataFrame
        ``osm_id``, ``tags`` (``key=value`` text), ``reason``: objects that
        match a table's tag but could not be given a category.
    notes : list of str
        What was chosen or missing (boundary source, subdistricts without
        population, layers not in the extract).
    """

    layers: dict[str, gpd.GeoDataFrame]
    unmapped: pd.DataFrame
    notes: list[str]


def _tag(tags: pd.Series, key: str) -> pd.Series:
    return tags.map(lambda t: t.get(key))


def school_level(tags: pd.Series) -> pd.Series:
    """The level of each school: ``primary``, ``middle`` or missing (see the module docstring).

    Parameters
    ----------
    tags : pandas.Series
        Dicts of tags.

    Returns
    -------
    pandas.Series
        Level per object (None where unknown).
    """
    isced = _tag(tags, "isced:level").astype("string").str.extract(r"(\d)")[0]
    by_isced = isced.map({"1": "primary", "2": "middle", "3": "middle"})
    by_tag = _tag(tags, "school").map(
        {"primary": "primary", "secondary": "middle", "middle": "middle"}
    )
    name = _tag(tags, "name").astype("string")
    by_name = pd.Series(None, index=tags.index, dtype=object)
    by_name[name.str.contains("中学", na=False).to_numpy()] = "middle"
    by_name[name.str.contains("小学", na=False).to_numpy()] = "primary"
    return (
        by_isced.astype(object).where(by_isced.notna(), by_tag).where(lambda s: s.notna(), by_name)
    )


def facility_categories(tags: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Category of each object by :data:`FACILITY_TAGS`, and why the candidates left over are.

    Parameters
    ----------
    tags : pandas.Series
        Dicts of tags.

    Returns
    -------
    category : pandas.Series
        Vocabulary code, None where no row matches.
    reason : pandas.Series
        For objects that match a row's tag but no row's condition, the reason
        (e.g. "amenity=school: school level unknown"); None otherwise.
    """
    level = school_level(tags)
    category = pd.Series(None, index=tags.index, dtype=object)
    candidate = pd.Series(None, index=tags.index, dtype=object)
    for rule in FACILITY_TAGS:
        value = _tag(tags, rule.key)
        hit = value.isin(rule.values)
        if rule.when:
            key, allowed = rule.when
            cond = (level if key == "school_level" else _tag(tags, key)).isin(allowed)
            miss = hit & ~cond & candidate.isna()
            candidate[miss] = rule.key + "=" + value[miss] + f": {key} not one of {sorted(allowed)}"
            hit = hit & cond
        category[hit & category.isna()] = rule.category
    reason = candidate.where(category.isna())
    return category, reason


def _names(tags: pd.Series, ref: pd.Series) -> tuple[pd.Series, pd.Series]:
    name = _tag(tags, "name")
    zh = _tag(tags, "name:zh").where(lambda s: s.notna(), name)
    en = _tag(tags, "name:en").where(lambda s: s.notna(), name)
    return zh.where(zh.notna(), "未命名 " + ref), en.where(en.notna(), "unnamed " + ref)


def _base(rows: pd.DataFrame, what: pd.Series) -> pd.DataFrame:
    """Common columns: id, osm_id, names, source (object and tag), accuracy, layer_complete."""
    ref = rows["osm_type"] + "/" + rows["osm_id"].astype(str)
    zh, en = _names(rows["tags"], ref)
    return pd.DataFrame(
        {
            "id": "osm-" + rows["osm_type"].str[0] + rows["osm_id"].astype(str),
            "osm_id": ref,
            "name_zh": zh,
            "name_en": en,
            "source": "OpenStreetMap " + ref + " (" + what + "); " + ATTRIBUTION,
            "accuracy_m": OSM_ACCURACY_M,
            LAYER_COMPLETE: False,
        },
        index=rows.index,
    )


def _tag_text(tags: pd.Series, keys: tuple[str, ...]) -> pd.Series:
    return tags.map(lambda t: ", ".join(f"{k}={t[k]}" for k in keys if k in t))


def _frame(table: pd.DataFrame, geoms: np.ndarray) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=list(geoms), crs=STORAGE_CRS)


def _is_park(tags: dict[str, str]) -> bool:
    """One object's tags: a park by :data:`PARK_TAGS`, open to the public."""
    return tags.get("access") not in _NO_ACCESS and any(
        tags.get(key) in values for key, values in PARK_TAGS
    )


def _cut_parks(path: str | os.PathLike[str], notes: list[str]) -> pd.DataFrame:
    """Parks the extract holds only in part: listed (as unmapped rows) and counted in the notes."""
    cut = read_cut_areas(path, _is_park)
    if cut.empty:
        return pd.DataFrame(columns=["osm_id", "name", "tags", "reason"])
    part = np.where(cut["osm_type"] == "way", "nodes", "member ways")
    notes.append(
        f"parks: {len(cut)} park(s) cut at the extract's edge (nodes or member ways missing) "
        "not imported, listed in import_unmapped.csv; use an extract that holds them whole"
    )
    return pd.DataFrame(
        {
            "osm_id": cut["osm_type"] + "/" + cut["osm_id"].astype(str),
            "name": _tag(cut["tags"], "name"),
            "tags": _tag_text(cut["tags"], ("leisure", "landuse")),
            "reason": "park cut at the extract's edge: "
            + cut["missing"].astype(str)
            + " of "
            + cut["total"].astype(str)
            + " "
            + part
            + " not in the file",
        }
    )


def _parks(feat: pd.DataFrame, notes: list[str]) -> gpd.GeoDataFrame | None:
    import shapely

    tags = feat["tags"]
    is_park = pd.Series(False, index=feat.index)
    for key, values in PARK_TAGS:
        is_park |= _tag(tags, key).isin(values)
    is_park &= ~_tag(tags, "access").isin(_NO_ACCESS)
    nodes = is_park & (feat["osm_type"] == "node")
    if nodes.any():
        notes.append(f"parks: {int(nodes.sum())} park node(s) without an area not imported")
    rows = feat[is_park & ~nodes]
    if rows.empty:
        return None
    geoms = shapely.make_valid(rows["geometry"].to_numpy())
    import geopandas as gpd

    crs = measure_crs(gpd.GeoSeries(geoms, crs=STORAGE_CRS))
    area_ha = gpd.GeoSeries(geoms, crs=STORAGE_CRS).to_crs(crs).area.to_numpy() / 10_000.0
    table = _base(rows, _tag_text(rows["tags"], ("leisure", "landuse")))
    table["source"] += "; " + PARK_SIZE_SOURCE
    table["tier"] = park_tier(area_ha)
    table["area_ha"] = np.round(area_ha, 3)
    table["approximate"] = False
    return _frame(table, geoms)


def _buildings(path: str | os.PathLike[str]) -> gpd.GeoDataFrame | None:
    """``building=*`` areas (not ``building=no``): osm_id, building tag, levels if tagged."""
    import shapely

    feat = read_osm_features(path, keys=("building",))
    if feat.empty:
        return None
    value = _tag(feat["tags"], "building")
    rows = feat[(feat["osm_type"] != "node") & value.notna() & (value != "no")]
    if rows.empty:
        return None
    table = _base(rows, "building=" + _tag(rows["tags"], "building"))
    table["building"] = _tag(rows["tags"], "building")
    # building:levels is free text in OSM ("3", "3;4", "three"): keep what reads as a number.
    levels = pd.to_numeric(_tag(rows["tags"], "building:levels"), errors="coerce")
    table["levels"] = levels.astype(float)
    return _frame(table, shapely.make_valid(rows["geometry"].to_numpy()))


def _residential(feat: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """``landuse=residential`` areas (residential land use), with their area."""
    import geopandas as gpd
    import shapely

    is_res = (_tag(feat["tags"], "landuse") == "residential") & (feat["osm_type"] != "node")
    rows = feat[is_res]
    if rows.empty:
        return None
    geoms = shapely.make_valid(rows["geometry"].to_numpy())
    series = gpd.GeoSeries(geoms, crs=STORAGE_CRS)
    table = _base(rows, pd.Series("landuse=residential", index=rows.index))
    table["area_ha"] = np.round(series.to_crs(measure_crs(series)).area.to_numpy() / 10_000.0, 4)
    return _frame(table, geoms)


def _facilities(feat: pd.DataFrame) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame]:
    import shapely

    category, reason = facility_categories(feat["tags"])
    left = feat[reason.notna()]
    unmapped = pd.DataFrame(
        {
            "osm_id": left["osm_type"] + "/" + left["osm_id"].astype(str),
            "name": _tag(left["tags"], "name"),
            "tags": _tag_text(
                left["tags"], ("amenity", "healthcare", "social_facility", "school", "isced:level")
            ),
            "reason": reason[reason.notna()],
        }
    ).reset_index(drop=True)
    rows = feat[category.notna()]
    if rows.empty:
        return None, unmapped
    keys = (
        "amenity",
        "healthcare",
        "social_facility",
        "social_facility:for",
        "leisure",
        "isced:level",
    )
    table = _base(rows, _tag_text(rows["tags"], keys))
    table["category"] = category[category.notna()]
    table["status"] = "existing"
    for col in ("beds", "doctors", "places"):
        table[col] = np.nan
    beds = pd.to_numeric(_tag(rows["tags"], "beds"), errors="coerce")
    table["beds"] = beds.where(beds >= 0)
    points = shapely.point_on_surface(rows["geometry"].to_numpy())
    return _frame(table, points), unmapped


def _transit(feat: pd.DataFrame, station_lines: dict[int, str]) -> gpd.GeoDataFrame | None:
    import shapely

    tags = feat["tags"]
    station = _tag(tags, "railway").eq("station") | _tag(tags, "public_transport").eq("station")
    metro = station & (_tag(tags, "station").eq("subway") | _tag(tags, "subway").eq("yes"))
    rail = station & ~metro & _tag(tags, "train").eq("yes")
    rows = feat[metro | rail]
    if rows.empty:
        return None
    table = _base(
        rows, _tag_text(rows["tags"], ("railway", "public_transport", "station", "subway", "train"))
    )
    table["kind"] = np.where(metro[metro | rail], "station", "rail_station")
    # The route relations a station (or its stop area) belongs to, else its own tag.
    own = _tag(rows["tags"], "line").where(lambda s: s.notna(), _tag(rows["tags"], "network"))
    by_route = pd.Series(
        [
            station_lines.get(i, "") if t == "node" else ""
            for t, i in zip(rows["osm_type"], rows["osm_id"], strict=True)
        ],
        index=rows.index,
    )
    table["line"] = by_route.where(by_route != "", own).fillna("unknown")
    table["status"] = "operating"
    table["interchange"] = table["line"].str.contains(";")
    table["stations"] = table["id"]
    return _frame(table, shapely.point_on_surface(rows["geometry"].to_numpy()))


def _route_label(tags: pd.Series, osm_id: pd.Series) -> pd.Series:
    """A route's line: its ``ref``, else ``name``, else the relation id."""
    label = _tag(tags, "ref").where(lambda s: s.notna(), _tag(tags, "name"))
    return label.where(label.notna(), "r" + osm_id.astype(str))


def _station_lines(routes: OsmRoutes) -> dict[int, str]:
    """Node id -> its lines (`;`-joined): routes it belongs to, or whose stop is in its area."""
    r = routes.routes
    if r.empty:
        return {}
    members = pd.DataFrame({"line": _route_label(r["tags"], r["osm_id"]), "node": r["nodes"]})
    members = members.explode("node").dropna()
    areas = routes.stop_areas.explode("nodes").dropna().rename(columns={"nodes": "node"})
    # A stop position on a route puts every node of its stop area (the station) on that line.
    via = members.merge(areas, on="node").merge(areas, on="osm_id", suffixes=("_stop", ""))
    pairs = pd.concat([members, via[["line", "node"]]]).drop_duplicates()
    pairs["node"] = pairs["node"].astype("int64")
    joined = pairs.sort_values("line").groupby("node")["line"].agg(";".join)
    return dict(zip(joined.index, joined, strict=True))


def _colour(values: pd.Series) -> pd.Series:
    """OSM ``colour`` as ``#RRGGBB`` (``#RGB`` expanded); named colours left empty."""
    text = values.fillna("").str.strip().str.upper()
    short = text.str.fullmatch(r"#[0-9A-F]{3}")
    text = text.where(~short, "#" + text.str[1] * 2 + text.str[2] * 2 + text.str[3] * 2)
    return text.where(text.str.fullmatch(r"#[0-9A-F]{6}"), None)


def _stations_near(lines: np.ndarray, stations: gpd.GeoDataFrame | None) -> pd.Series:
    """Per line, the stations within :data:`STATION_ON_LINE_M` of it (``;``-joined ids)."""
    import geopandas as gpd

    if stations is None or stations.empty:
        return pd.Series("", index=range(len(lines)))
    crs = measure_crs(stations)
    tracks = gpd.GeoDataFrame(geometry=list(lines), crs=STORAGE_CRS).to_crs(crs)
    pts = stations[["id", "geometry"]].to_crs(crs)
    pairs = gpd.sjoin(pts, tracks, predicate="dwithin", distance=STATION_ON_LINE_M)
    joined = pairs.groupby("index_right")["id"].agg(";".join)
    return pd.Series(range(len(lines))).map(joined).fillna("")


#: A station this close to a track is on it (platforms sit beside the rails), metres.
STATION_ON_LINE_M = 150.0


def _metro_lines(routes: OsmRoutes, stations: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """One line per route ``ref`` (both directions merged), drawn along its member ways."""
    import shapely

    r = routes.routes.assign(line=lambda t: _route_label(t["tags"], t["osm_id"]))
    rows, geoms = [], []
    routed: set[int] = set()
    for line, group in r.groupby("line", sort=True):
        ways = [w for ws in group["ways"] for w in ws if w in routes.ways.index]
        routed.update(ways)
        if not ways:
            continue  # every member way outside the extract
        first = group.sort_values("osm_id").iloc[0]
        rows.append(
            {
                "line": line,
                "osm_type": "relation",
                "osm_id": int(first["osm_id"]),
                "tags": first["tags"],
                "relations": ";".join(f"relation/{i}" for i in group["osm_id"]),
            }
        )
        geoms.append(
            shapely.line_merge(shapely.union_all(routes.ways.loc[sorted(set(ways))].to_numpy()))
        )
    loose = sorted(routes.track_ways - routed)
    if loose:  # railway=subway track no route relation in the file covers
        tags = {"railway": "subway"}
        rows.append(
            {
                "line": "unknown",
                "osm_type": "way",
                "osm_id": loose[0],
                "tags": tags,
                "relations": "",
            }
        )
        geoms.append(shapely.line_merge(shapely.union_all(routes.ways.loc[loose].to_numpy())))
    if not rows:
        return None
    found = pd.DataFrame(rows)
    table = _base(found, _tag_text(found["tags"], ("route", "railway", "ref", "colour")))
    table["id"] = np.where(found["line"] == "unknown", "osm-tracks", table["id"])
    table["source"] += np.where(found["relations"] != "", "; routes " + found["relations"], "")
    table["kind"] = "line"
    table["line"] = found["line"]
    table["status"] = "operating"
    table["interchange"] = False
    on_line = pd.Series("", index=found.index)
    if stations is not None:
        per = stations[["id", "line"]].assign(line=stations["line"].str.split(";")).explode("line")
        joined = per.groupby("line")["id"].agg(";".join)
        on_line = found["line"].map(joined).fillna("")
    near = _stations_near(lines=np.array(geoms, dtype=object), stations=stations)
    on_line = on_line.where(on_line != "", near)
    # Nothing known on it: its own id, as a station lists itself (the column is never empty).
    table["stations"] = on_line.where(on_line != "", table["id"])
    track = (found["line"] == "unknown").to_numpy()
    for lang, col in (("zh", "name_zh"), ("en", "name_en")):
        table.loc[track, col] = label("osm_metro_track", lang)
    table["colour"] = _colour(_tag(found["tags"], "colour"))
    return _frame(table, np.array(geoms, dtype=object))


def _admin_areas(feat: pd.DataFrame) -> pd.DataFrame:
    tags = feat["tags"]
    admin = (feat["osm_type"] != "node") & _tag(tags, "boundary").eq("administrative")
    rows = feat[admin].copy()
    rows["level"] = pd.to_numeric(_tag(rows["tags"], "admin_level"), errors="coerce")
    return rows[rows["level"].notna()]


def _boundary(
    feat: pd.DataFrame, admin: pd.DataFrame, relation: int | None, notes: list[str]
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The study area and the admin areas below it (their rows of ``admin``)."""
    import shapely

    if relation is not None:
        chosen = admin[(admin["osm_type"] == "relation") & (admin["osm_id"] == relation)]
        if chosen.empty:
            have = sorted(admin.loc[admin["osm_type"] == "relation", "osm_id"].tolist())[:20]
            msg = (
                f"boundary relation {relation} is not a complete boundary=administrative area "
                f"in the extract; complete ones: {have or 'none'}"
            )
            raise DataSourceError(msg)
    elif len(admin):
        top = admin[admin["level"] == admin["level"].min()]
        area = shapely.area(top["geometry"].to_numpy())
        chosen = top.iloc[[int(np.argmax(area))]]
    else:
        hull = shapely.convex_hull(shapely.union_all(feat["geometry"].to_numpy()))
        notes.append(
            "boundary: the extract holds no complete boundary=administrative area; the study "
            "area is the convex hull of the features read (give --layer boundary=FILE for the "
            "real one)"
        )
        table = pd.DataFrame(
            {"id": ["extract"], "name_zh": ["数据范围"], "name_en": ["Extract area"]}
        )
        table["source"] = f"convex hull of the OpenStreetMap features read; {ATTRIBUTION}"
        return _finish_boundary(table, [shapely.make_valid(hull)]), admin.iloc[0:0]
    row = chosen.iloc[0]
    notes.append(f"boundary: OpenStreetMap relation/{row['osm_id']} (admin_level {row['level']:g})")
    table = _base(chosen, _tag_text(chosen["tags"], ("boundary", "admin_level")))
    geom = shapely.make_valid(row["geometry"])
    below = admin[admin["level"] > row["level"]]
    inside = shapely.contains(geom, shapely.point_on_surface(below["geometry"].to_numpy()))
    below = below[inside]
    below = below[below["level"] == below["level"].min()] if len(below) else below
    return _finish_boundary(table.drop(columns=[LAYER_COMPLETE]), [geom]), below


def _finish_boundary(table: pd.DataFrame, geoms: list) -> gpd.GeoDataFrame:
    gdf = _frame(table.assign(accuracy_m=OSM_ACCURACY_M), np.array(geoms, dtype=object))
    gdf["area_km2"] = np.round(gdf.to_crs(measure_crs(gdf)).area.to_numpy() / 1e6, 3)
    return gdf


def _shipped_subdistricts() -> pd.DataFrame:
    from .io import read_vector
    from .paths import layer_path

    path = layer_path("subdistricts")
    if not path.exists():
        return pd.DataFrame(columns=["code", "osm_relation", "name_zh", "name_en", "population"])
    sub = pd.DataFrame(read_vector(path).drop(columns="geometry"))
    if "osm_relation" not in sub.columns:
        sub["osm_relation"] = np.nan
    return sub[sub["osm_relation"].notna()]


def _subdistricts(below: pd.DataFrame, notes: list[str]) -> gpd.GeoDataFrame | None:
    import shapely

    if below.empty:
        notes.append("subdistricts: no complete admin area below the boundary in the extract")
        return None
    table = _base(below, _tag_text(below["tags"], ("boundary", "admin_level")))
    table = table.drop(columns=[LAYER_COMPLETE])
    pop = pd.to_numeric(_tag(below["tags"], "population"), errors="coerce")
    table["code"] = _tag(below["tags"], "ref").where(lambda s: s.notna(), table["id"])
    table["population"] = pop
    table["osm_relation"] = np.where(below["osm_type"] == "relation", below["osm_id"], np.nan)
    # A relation the shipped sample knows keeps the sample's code, names and census figure.
    known = _shipped_subdistricts()
    known.index = known["osm_relation"].astype("int64")
    hit = table["osm_relation"].isin(known.index)
    for col in ("code", "name_zh", "name_en", "population"):
        table.loc[hit, col] = known.loc[
            table.loc[hit, "osm_relation"].astype("int64"), col
        ].to_numpy()
    missing = table["population"].isna()
    if missing.any():
        notes.append(
            f"subdistricts: {int(missing.sum())} of {len(table)} have no population (tag "
            "'population' absent); set to 0: give a census table"
        )
    table["population"] = table["population"].fillna(0).round().astype("int64")
    table["approximate"] = False
    table["code"] = table["code"].astype(str)
    table = table.drop_duplicates("code")
    return _frame(table, shapely.make_valid(below.loc[table.index, "geometry"].to_numpy()))


def _transit_layer(
    feat: pd.DataFrame, routes: OsmRoutes, notes: list[str]
) -> gpd.GeoDataFrame | None:
    """Stations (lines from their route relations) and the metro lines themselves."""
    stations = _transit(feat, _station_lines(routes))
    lines = _metro_lines(routes, stations)
    if lines is None:
        if not routes.routes.empty:
            notes.append("transit: metro routes found but none of their ways is in the extract")
        return stations
    if stations is None:
        return lines
    return pd.concat([stations, lines], ignore_index=True)


def _cut_lines(
    gdf: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, reach_m: float, notes: list[str]
) -> gpd.GeoDataFrame:
    """Lines cut to ``reach_m`` around the boundary (the part a schema accepts)."""
    import shapely

    crs = measure_crs(boundary)
    reach = shapely.buffer(boundary.to_crs(crs).union_all(), reach_m)
    metric = gdf.to_crs(crs)
    is_line = metric.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    outside = is_line & ~shapely.within(metric.geometry.values, reach)
    if not outside.any():
        return gdf
    cut = shapely.intersection(metric.geometry.values[outside], reach)
    metric.loc[outside, "geometry"] = cut
    notes.append(
        f"transit: {int(outside.sum())} line(s) cut at {reach_m:.0f} m beyond the study area"
    )
    out = metric.to_crs(STORAGE_CRS)
    return out[~out.geometry.is_empty].reset_index(drop=True)


def _within(
    gdf: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, name: str, notes: list[str]
) -> gpd.GeoDataFrame:
    """The features of a layer within its schema's reach of the boundary."""
    import shapely

    crs = measure_crs(boundary)
    # The 50 m of slack validation allows (edges shared with the boundary stay in).
    reach = shapely.buffer(boundary.to_crs(crs).union_all(), SCHEMAS[name].outside_tolerance_m + 50)
    if name == "transit":  # a metro line runs on beyond the area: keep the part within reach
        gdf = _cut_lines(gdf, boundary, SCHEMAS[name].outside_tolerance_m, notes)
    keep = shapely.within(gdf.to_crs(crs).geometry.values, reach)
    if not keep.all():
        notes.append(f"{name}: {int((~keep).sum())} feature(s) outside the study area left out")
    return gdf[keep].reset_index(drop=True)


def import_osm(path: str | os.PathLike[str], boundary_relation: int | None = None) -> OsmImport:
    """Build validated layers from one OpenStreetMap extract.

    Parameters
    ----------
    path : path-like
        ``.osm`` XML or ``.osm.pbf``.
    boundary_relation : int, optional
        OSM relation id of the study area (a complete ``boundary=administrative``
        area in the extract); default: the complete admin area of the lowest
        ``admin_level``, else the convex hull of the features.

    Returns
    -------
    OsmImport
        Layers (each validated against its schema and the boundary), the
        unmapped objects and notes.

    Raises
    ------
    DataSourceError
        Unreadable extract, an unknown ``boundary_relation``, or an extract
        with none of the features the tables read.
    LayerSchemaError
        A built layer fails its schema (a bug: reported, never written).
    """
    from .schemas import validate_layer

    feat = read_osm_features(path)
    if feat.empty:
        msg = f"{path}: no parks, facilities, stations or boundaries in the extract"
        raise DataSourceError(msg)
    notes: list[str] = []
    boundary, below = _boundary(feat, _admin_areas(feat), boundary_relation, notes)
    layers: dict[str, gpd.GeoDataFrame] = {"boundary": boundary}
    facilities, unmapped = _facilities(feat)
    cut = _cut_parks(path, notes)
    unmapped = pd.concat([unmapped, cut], ignore_index=True) if len(cut) else unmapped
    built = {
        "subdistricts": _subdistricts(below, notes),
        "parks": _parks(feat, notes),
        "facilities": facilities,
        "transit": _transit_layer(feat, read_osm_routes(path), notes),
        "buildings": _buildings(path),
        "residential": _residential(feat),
    }
    for name, gdf in built.items():
        kept = None if gdf is None else _within(gdf, boundary, name, notes)
        if kept is None or kept.empty:
            if name != "subdistricts":  # _subdistricts says why
                notes.append(f"{name}: none in the extract; not written")
            continue
        layers[name] = kept
    for name, gdf in layers.items():
        validate_layer(
            gdf, SCHEMAS[name], f"{path} -> {name}", None if name == "boundary" else boundary
        )
    return OsmImport(layers, unmapped, notes)
