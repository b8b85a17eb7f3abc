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
* ``transit`` - metro stations (``station=subway`` or ``subway=yes``) and railway
  stations (``railway=station`` with ``train=yes``).

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
from ..foundation.standards import PARK_SIZE_SOURCE, park_tier
from .osm import read_osm_features
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


def _transit(feat: pd.DataFrame) -> gpd.GeoDataFrame | None:
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
    # Lines are relations the import does not read; the station's own tag, else "unknown".
    line = _tag(rows["tags"], "line").where(lambda s: s.notna(), _tag(rows["tags"], "network"))
    table["line"] = line.fillna("unknown")
    table["status"] = "operating"
    table["interchange"] = table["line"].str.contains(";")
    table["stations"] = table["id"]
    return _frame(table, shapely.point_on_surface(rows["geometry"].to_numpy()))


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


def _within(
    gdf: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, name: str, notes: list[str]
) -> gpd.GeoDataFrame:
    """The features of a layer within its schema's reach of the boundary."""
    import shapely

    crs = measure_crs(boundary)
    # The 50 m of slack validation allows (edges shared with the boundary stay in).
    reach = shapely.buffer(boundary.to_crs(crs).union_all(), SCHEMAS[name].outside_tolerance_m + 50)
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
    built = {
        "subdistricts": _subdistricts(below, notes),
        "parks": _parks(feat, notes),
        "facilities": facilities,
        "transit": _transit(feat),
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
