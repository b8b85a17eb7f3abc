"""Walking distance on a street network: the nearest facility in one pass, or a long cost table.

:func:`network_nearest` answers "how far is the nearest facility" for every
resident with one multi-source Dijkstra; :func:`network_table` lists every
resident-facility pair within a cut-off (for counts, 2SFCA and siting), each
facility searched only on the part of the network it can reach.

The network comes from an OpenStreetMap extract (:func:`read_walk_network`,
parsed by :mod:`tianhe_geo.data.osm`), from an osmnx graph (:func:`from_graph`)
or from node and edge arrays. Edges are kept as straight segments between nodes
and measured in the projected CRS, so network distance can
never be shorter than the straight line. Parallel edges are reduced to the
shortest before the sparse matrix is built (scipy would add them up).

Residents and facilities are snapped to the nearest node of the largest
connected component, within ``max_snap_m``. Points farther than that, and
the nodes of small fragments, are reported, never silently counted as covered
or uncovered.

A point facility joins the network at its own snap. A polygon facility (a
park) is reached at its edge: :func:`facility_sources` puts access points
along every ring of its boundary, at most ``access_spacing_m`` apart, plus the
OSM ``entrance=*`` / ``barrier=gate`` nodes within
:data:`ENTRANCE_TOLERANCE_M` of the edge; each access point is snapped like a
point. Where a walkable way crosses a polygon's edge, the crossing is an
access point too, joined to both ends of its edge at the metres along it (the
edge split there, :func:`edge_crossings`). The facility's distance is the
minimum over them (line facilities are reached along the line the same way,
without crossings). In a search every facility is a
virtual source joined to its access nodes by one-way edges of its snap
distances, so one multi-source pass still answers the nearest facility and
a search never passes through a facility to reach another. A resident inside
a polygon facility is at 0 m from it (:func:`inside_pairs`), as by straight line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from ..data.osm import graph_frames, read_osm
from ..data.schemas import COST_COLUMNS
from ..foundation.crs import ANALYSIS_CRS, STORAGE_CRS, require_projected, require_same_crs
from ..foundation.errors import DataSourceError, NetworkError
from ._inputs import Coordinates, Layer
from ._kd import kd_nearest

logger = logging.getLogger(__name__)

_CHUNK = 64  # facility sources per Dijkstra call: bounds memory at n_nodes x 64


@dataclass(frozen=True)
class WalkNetwork:
    """A walking network ready for shortest paths.

    Attributes
    ----------
    node_ids : numpy.ndarray
        OSM node ids, one per matrix row.
    xy : numpy.ndarray
        Node coordinates (n, 2) in ``crs`` (metres).
    matrix : scipy.sparse.csr_matrix
        Symmetric edge lengths in metres (shortest of parallel edges).
    in_main : numpy.ndarray
        True for nodes of the largest connected component.
    crs : str
        Projected CRS of ``xy``.
    entrances : numpy.ndarray
        Coordinates (k, 2) in ``crs`` of the extract's ``entrance=*`` and
        ``barrier=gate`` nodes (empty when the network came without them):
        a polygon facility's gates among its access points.
    """

    node_ids: np.ndarray
    xy: np.ndarray
    matrix: csr_matrix
    in_main: np.ndarray
    crs: str
    entrances: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    @cached_property
    def main_tree(self) -> cKDTree:
        """Spatial index of the largest component's nodes (built once, used by every snap)."""
        return cKDTree(self.xy[self.in_main])

    @cached_property
    def main_edges(self) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
        """The largest component's edges once each: end rows ``u < v`` and their index.

        Used to find where walkable ways cross a polygon facility's edge.
        """
        coo = self.matrix.tocoo()
        keep = (coo.row < coo.col) & self.in_main[coo.row]
        u, v = coo.row[keep].astype(np.intp), coo.col[keep].astype(np.intp)
        segments = shapely.linestrings(np.stack([self.xy[u], self.xy[v]], axis=1))
        return u, v, shapely.STRtree(segments)

    @property
    def n_fragment_nodes(self) -> int:
        """Number of nodes outside the largest connected component."""
        return int((~self.in_main).sum())


def from_edges(
    node_ids: np.ndarray, xy: np.ndarray, u: np.ndarray, v: np.ndarray, crs: str
) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from nodes and undirected straight edges.

    Parameters
    ----------
    node_ids : numpy.ndarray
        Node identifiers.
    xy : numpy.ndarray
        Node coordinates (n, 2) in metres.
    u, v : numpy.ndarray
        Edge end positions (indices into ``node_ids``).
    crs : str
        Projected CRS of ``xy``.

    Returns
    -------
    WalkNetwork
        The network.
    """
    if len(u) == 0:
        msg = "the street network has no edges; check the OSM file covers the study area"
        raise NetworkError(msg)
    length = np.hypot(*(xy[u] - xy[v]).T)
    keep = u != v
    a = np.concatenate([u[keep], v[keep]])
    b = np.concatenate([v[keep], u[keep]])
    # A zero-length edge would vanish from a sparse matrix: keep a tiny weight.
    w = np.maximum(np.concatenate([length[keep], length[keep]]), 1e-9)
    n = len(node_ids)
    matrix = coo_matrix((w, (a, b)), shape=(n, n)).tocsr()  # sums parallel edges
    if matrix.nnz < len(a):
        # Parallel edges were summed: keep the shortest of each instead (sort by length,
        # first of each pair). Only then: the sort is most of the build of a large network.
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        matrix = coo_matrix((w[first], (a[first], b[first])), shape=(n, n)).tocsr()
    _, labels = connected_components(matrix, directed=False)
    main = np.bincount(labels).argmax()
    return WalkNetwork(np.asarray(node_ids), xy, matrix, labels == main, crs)


def from_frames(
    nodes: pd.DataFrame, edges: pd.DataFrame, crs: str, clip: shapely.Geometry | None = None
) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from OSM node and edge tables.

    Parameters
    ----------
    nodes : pandas.DataFrame
        ``id``, ``lon``, ``lat`` (EPSG:4326).
    edges : pandas.DataFrame
        ``u``, ``v``: node ids of each straight segment; segments naming
        unknown nodes are ignored.
    crs : str
        Projected CRS to measure in.
    clip : shapely geometry, optional
        Area to keep (lon/lat); segments with a node outside it are dropped.

    Returns
    -------
    WalkNetwork
        The network over the nodes of the kept segments.

    Raises
    ------
    NetworkError
        When no segment is left.
    """
    pos = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    u = pos.reindex(edges["u"].to_numpy()).to_numpy()
    v = pos.reindex(edges["v"].to_numpy()).to_numpy()
    ok = ~(np.isnan(u) | np.isnan(v))
    u, v = u[ok].astype(np.intp), v[ok].astype(np.intp)
    if clip is not None:
        inside = shapely.contains_xy(clip, nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
        u, v = u[inside[u] & inside[v]], v[inside[u] & inside[v]]
    if len(u) == 0:
        msg = "no walkable street inside the area of interest"
        raise NetworkError(msg)
    # Only nodes on kept segments: loose nodes would count as network fragments.
    used, inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
    nu, nv = np.split(inverse, 2)
    kept = nodes.iloc[used]
    pts = gpd.GeoSeries.from_xy(kept["lon"], kept["lat"], crs=STORAGE_CRS).to_crs(crs)
    return from_edges(kept["id"].to_numpy(), shapely.get_coordinates(pts.values), nu, nv, crs)


def from_graph(graph: Any, crs: str) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from an (unprojected) osmnx graph.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        Graph with node attributes ``x`` (lon) and ``y`` (lat) in EPSG:4326.
    crs : str
        Projected CRS to measure in.

    Returns
    -------
    WalkNetwork
        The network; edges are straight segments between nodes.
    """
    if graph.number_of_nodes() == 0:
        msg = "the street network has no nodes"
        raise NetworkError(msg)
    return from_frames(*graph_frames(graph), crs)


@dataclass(frozen=True)
class Snap:
    """Where points attach to the network.

    Attributes
    ----------
    node : numpy.ndarray
        Matrix row of the nearest main-component node (-1 when unsnapped).
    distance_m : numpy.ndarray
        Straight-line metres to that node.
    snapped : numpy.ndarray
        True when within the maximum snap distance.
    xy : numpy.ndarray or None
        The points snapped (n, 2), metres: who is inside a polygon facility.
    """

    node: np.ndarray
    distance_m: np.ndarray
    snapped: np.ndarray
    xy: np.ndarray | None = None


def snap(points: gpd.GeoDataFrame, net: WalkNetwork, max_snap_m: float) -> Snap:
    """Snap points (or cell centroids) to the nearest main-component node.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points or polygons (centroids used) in ``net.crs``.
    net : WalkNetwork
        The network.
    max_snap_m : float
        Points farther than this from any main-component node are unsnapped.

    Returns
    -------
    Snap
        Node, distance and flag per point, in row order.
    """
    geoms = np.asarray(points.geometry.values)  # plain array: no pandas ufunc dispatch
    if not (shapely.get_type_id(geoms) == 0).all():
        geoms = shapely.centroid(geoms)
    return snap_xy(shapely.get_coordinates(geoms), net, max_snap_m)


def snap_xy(xy: np.ndarray, net: WalkNetwork, max_snap_m: float) -> Snap:
    """Snap coordinates to the nearest main-component node (as :func:`snap`).

    Parameters
    ----------
    xy : numpy.ndarray
        (n, 2) coordinates in ``net.crs`` (metres).
    net : WalkNetwork
        The network.
    max_snap_m : float
        Points farther than this from any main-component node are unsnapped.

    Returns
    -------
    Snap
        Node, distance and flag per point, in row order.
    """
    return snap_to(net.main_tree, np.flatnonzero(net.in_main), xy, max_snap_m)


def snap_to(tree: cKDTree, main: np.ndarray, xy: np.ndarray, max_snap_m: float) -> Snap:
    """Snap coordinates with a network's snap index alone (what a worker is sent).

    Parameters
    ----------
    tree : scipy.spatial.cKDTree
        :attr:`WalkNetwork.main_tree`.
    main : numpy.ndarray
        Matrix rows of the main-component nodes, in the tree's order.
    xy : numpy.ndarray
        (n, 2) coordinates in metres.
    max_snap_m : float
        Points farther than this are unsnapped.

    Returns
    -------
    Snap
        As :func:`snap`.
    """
    dist, idx = kd_nearest(tree, xy)  # exact for every point, the far ones too
    ok = dist <= max_snap_m
    return Snap(np.where(ok, main[np.minimum(idx, len(main) - 1)], -1), dist, ok, xy)


def inside_pairs(polygons: np.ndarray | None, rs: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Snapped residents inside (or on the edge of) a polygon facility: they are in it.

    Parameters
    ----------
    polygons : numpy.ndarray or None
        Per facility its polygon or None (:attr:`Sources.inside`).
    rs : Snap
        The residents' snap, with their coordinates.

    Returns
    -------
    resident, facility : numpy.ndarray
        Rows of each (resident, polygon containing it) pair, by resident.
    """
    none = np.empty(0, dtype=np.intp)
    if polygons is None or rs.xy is None:
        return none, none
    fac = np.flatnonzero(~shapely.is_missing(polygons))
    res = np.flatnonzero(rs.snapped)
    if len(fac) == 0 or len(res) == 0:
        return none, none
    tree = shapely.STRtree(polygons[fac])
    r, f = tree.query(shapely.points(rs.xy[res]), predicate="intersects")
    order = np.lexsort((f, r))
    return res[r[order]], fac[f[order]]


#: Farthest an ``entrance=*`` or ``barrier=gate`` node may lie from a polygon
#: facility's edge to count as one of its gates, metres (OSM maps a park's gates
#: on its outline, or on the path a step inside).
ENTRANCE_TOLERANCE_M = 5.0

#: Default spacing of access points along a polygon facility's edge, metres
#: (:attr:`tianhe_geo.foundation.config.AnalysisConfig.access_spacing_m`).
ACCESS_SPACING_M = 25.0


@dataclass(frozen=True)
class Sources:
    """Where facilities join the network: one row per (facility, node) pair.

    Attributes
    ----------
    facility : numpy.ndarray
        Facility row of each access, ascending.
    node : numpy.ndarray
        Matrix row of the main-component node it joins.
    distance_m : numpy.ndarray
        Straight-line metres from the facility's nearest access point at that
        node to the node (its snap distance).
    snapped : numpy.ndarray
        Bool per facility: at least one access point within the snap limit.
    n_points : numpy.ndarray
        Access points tried per facility (1 for a point; edge points plus
        entrances for a polygon or line).
    n_entrances : int
        Entrances among all access points.
    n_crossings : int
        Points where a walkable way crosses (or touches) a polygon facility's
        edge; each joins the facility to both ends of its edge, at the metres
        along the edge (the edge split there).
    inside : numpy.ndarray or None
        Per facility its polygon (None for points and lines), for the
        residents inside it (distance 0); None when no facility is a polygon.
    """

    facility: np.ndarray
    node: np.ndarray
    distance_m: np.ndarray
    snapped: np.ndarray
    n_points: np.ndarray
    n_entrances: int
    n_crossings: int = 0
    inside: np.ndarray | None = None


def access_points(
    facilities: gpd.GeoDataFrame,
    spacing_m: float = ACCESS_SPACING_M,
    entrances: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each facility can be entered: points stay points, polygons at their edge.

    A polygon's edge is every ring of its boundary (a line facility's edge is
    the line): points at its start and then evenly, at most ``spacing_m``
    apart, along each ring; plus the ``entrances`` within
    :data:`ENTRANCE_TOLERANCE_M` of the edge.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points, polygons or lines in a projected CRS (metres).
    spacing_m : float, default 25
        Largest gap between access points along an edge, metres (> 0).
    entrances : numpy.ndarray, optional
        Entrance coordinates (k, 2) in the same CRS.

    Returns
    -------
    xy : numpy.ndarray
        Access point coordinates (m, 2).
    facility : numpy.ndarray
        Facility row of each access point.
    is_entrance : numpy.ndarray
        True for the access points that are entrances.
    """
    if not (np.isfinite(spacing_m) and spacing_m > 0):
        msg = f"access_spacing_m must be a distance > 0 metres, e.g. 25; got {spacing_m!r}"
        raise NetworkError(msg)
    geoms = np.asarray(facilities.geometry.values)
    # Missing and empty geometries get no access point (the facility stays unsnapped).
    kind = np.where(
        shapely.is_missing(geoms) | shapely.is_empty(geoms), -1, shapely.get_type_id(geoms)
    )
    point = kind == 0
    # Multipoints and collections keep their centroid; polygons and lines are entered at their edge.
    edged = np.flatnonzero(np.isin(kind, (1, 2, 3, 5, 6)))
    central = np.flatnonzero(np.isin(kind, (4, 7)))
    lines = np.isin(kind[edged], (1, 2, 5))
    edges = geoms[edged].copy()
    edges[~lines] = shapely.boundary(edges[~lines])
    parts, owner = shapely.get_parts(edges, return_index=True)
    length = shapely.length(parts)
    n = np.maximum(np.ceil(length / spacing_m), 1).astype(np.intp)
    line = np.repeat(np.arange(len(parts)), n)
    step = np.arange(len(line)) - np.repeat(np.cumsum(n) - n, n)
    along = shapely.line_interpolate_point(parts[line], step * (length / n)[line])
    xy = [
        shapely.get_coordinates(geoms[point]),
        shapely.get_coordinates(shapely.centroid(geoms[central])),
        shapely.get_coordinates(along),
    ]
    fac = [np.flatnonzero(point), central, edged[owner[line]]]
    gate = np.empty((0, 2)) if entrances is None else np.asarray(entrances, dtype=float)
    n_gate = 0
    if len(gate) and len(edges):
        e_idx, g_idx = shapely.STRtree(shapely.points(gate)).query(
            edges, predicate="dwithin", distance=ENTRANCE_TOLERANCE_M
        )
        xy.append(gate[g_idx])
        fac.append(edged[e_idx])
        n_gate = len(g_idx)
    xy_all = np.concatenate([c.reshape(-1, 2) for c in xy])
    is_gate = np.zeros(len(xy_all), dtype=bool)
    is_gate[len(xy_all) - n_gate :] = True
    return xy_all, np.concatenate(fac).astype(np.intp), is_gate


def edge_crossings(
    facilities: gpd.GeoDataFrame, net: WalkNetwork
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Where the network's edges cross or touch each polygon facility's boundary.

    A path (or street) crossing a park's outline enters the park there: that
    point is an access point at no snap distance, and since an edge is a
    straight segment, joining the facility to both its ends at the metres
    along it is the same as splitting the edge at the crossing. An edge
    running along the outline touches it at its overlap's ends.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Facilities in ``net.crs``; only polygons and multipolygons are used.
    net : WalkNetwork
        The network (its largest component's edges).

    Returns
    -------
    facility : numpy.ndarray
        Facility row of each (crossing, edge end) pair, twice per crossing.
    node : numpy.ndarray
        Matrix row of the edge end.
    distance_m : numpy.ndarray
        Metres from the crossing to that end along the edge.
    n_crossings : int
        Crossing points found.
    """
    geoms = np.asarray(facilities.geometry.values)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    polygon = np.flatnonzero(ok & np.isin(shapely.get_type_id(geoms), (3, 6)))
    none = np.empty(0, dtype=np.intp)
    if len(polygon) == 0:
        return none, none, np.empty(0), 0
    u, v, tree = net.main_edges
    rings = shapely.boundary(geoms[polygon])
    ring_i, edge_i = tree.query(rings, predicate="intersects")
    where = shapely.intersection(rings[ring_i], tree.geometries[edge_i])
    xy, pair = shapely.get_coordinates(where, return_index=True)
    fac, eu, ev = polygon[ring_i[pair]], u[edge_i[pair]], v[edge_i[pair]]
    du = np.hypot(*(xy - net.xy[eu]).T)
    dv = np.hypot(*(xy - net.xy[ev]).T)
    return (
        np.concatenate([fac, fac]),
        np.concatenate([eu, ev]),
        np.concatenate([du, dv]),
        len(xy),
    )


def facility_sources(
    facilities: Layer,
    net: WalkNetwork,
    max_snap_m: float,
    access_spacing_m: float = ACCESS_SPACING_M,
    crossings: bool = True,
) -> Sources:
    """Where each facility joins the network: the one constructor of search sources.

    Points are snapped as residents are. Polygons (and lines) are reached at
    their edge: the :func:`access_points` along it every ``access_spacing_m``
    and the network's entrances on it, each snapped to its nearest
    main-component node within ``max_snap_m``; at a node reached by several
    access points of one facility the nearest counts. A facility's walking
    distance is then the minimum over its access nodes of path + snap.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame or Coordinates
        Points, polygons or lines in ``net.crs``; or points as coordinates
        (snapped from their coordinates, no shapely object made).
    net : WalkNetwork
        The network (its ``entrances`` are used).
    max_snap_m : float
        Access points farther than this from the main component are dropped;
        a facility none of whose access points is within it is unsnapped.
    access_spacing_m : float, default 25
        Largest gap between access points along an edge, metres.
    crossings : bool, default True
        Also enter polygons where a walkable way crosses their edge
        (:func:`edge_crossings`); these need no snap.

    Returns
    -------
    Sources
        One row per (facility, node), ordered by facility.
    """
    if isinstance(facilities, Coordinates):  # points: each is its own access point
        xy, fac = facilities.xy, np.arange(len(facilities))
        gate, inside = np.zeros(len(fac), dtype=bool), None
    else:
        xy, fac, gate = access_points(facilities, access_spacing_m, net.entrances)
        inside = _polygons_of(facilities)
    dist, idx = net.main_tree.query(xy, k=1, workers=-1)
    ok = dist <= max_snap_m
    node = np.flatnonzero(net.in_main)[idx[ok]] if len(xy) else np.empty(0, dtype=np.intp)
    fac_ok, dist_ok = fac[ok], dist[ok]
    n_cross = 0
    if crossings and inside is not None:  # only a polygon's edge is crossed
        c_fac, c_node, c_dist, n_cross = edge_crossings(facilities, net)
        fac_ok = np.concatenate([fac_ok, c_fac])
        node = np.concatenate([node, c_node])
        dist_ok = np.concatenate([dist_ok, c_dist])
    # The nearest access point of each (facility, node): sort by facility, node, distance.
    order = np.lexsort((dist_ok, node, fac_ok))
    fac_ok, node, dist_ok = fac_ok[order], node[order], dist_ok[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (fac_ok[1:] != fac_ok[:-1]) | (node[1:] != node[:-1])
    n_fac = len(facilities)
    return Sources(
        facility=fac_ok[first],
        node=node[first].astype(np.intp),
        distance_m=dist_ok[first],
        snapped=np.bincount(fac_ok, minlength=n_fac)[:n_fac] > 0,
        n_points=np.bincount(fac, minlength=n_fac)[:n_fac],
        n_entrances=int(gate.sum()),
        n_crossings=n_cross,
        inside=inside,
    )


def _polygons_of(facilities: gpd.GeoDataFrame) -> np.ndarray | None:
    """Per facility its polygon, None for the others; None when there is no polygon."""
    geoms = np.asarray(facilities.geometry.values)
    kind = np.where(shapely.is_missing(geoms), -1, shapely.get_type_id(geoms))
    polygon = np.isin(kind, (3, 6))
    if not polygon.any():
        return None
    out = geoms.copy()
    out[~polygon] = None
    return out


def network_table(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    max_distance: float,
    max_snap_m: float = 200.0,
    access_spacing_m: float = ACCESS_SPACING_M,
) -> tuple[pd.DataFrame, pd.Series]:
    """Long table of resident-facility walking distances within ``max_distance``.

    Distance = resident's snap distance + shortest path between the two
    nodes + facility's snap distance, in metres.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells in ``net.crs``.
    facilities : geopandas.GeoDataFrame
        Points, or polygons (parks) reached at their edge (:func:`facility_sources`),
        in ``net.crs``.
    net : WalkNetwork
        Network from :func:`from_graph` or :func:`from_edges`.
    max_distance : float
        Cut-off in metres (inclusive).
    max_snap_m : float, default 200
        Maximum distance from a point to the network.
    access_spacing_m : float, default 25
        Largest gap between access points along a polygon facility's edge, metres.

    Returns
    -------
    table : pandas.DataFrame
        ``origin_id``, ``destination_id``, ``cost_m``.
    snapped : pandas.Series
        Bool per resident (index as ``residents``): False for residents too
        far from the main network, who are neither covered nor uncovered.
    """
    rs, fs = _snap_pair(residents, facilities, net, max_snap_m, access_spacing_m)
    parts = list(_pairs(net, rs, fs, max_distance))
    if parts:
        oi, fi, cost = (np.concatenate(a) for a in zip(*parts, strict=True))
    else:
        oi = fi = np.empty(0, dtype=np.intp)
        cost = np.empty(0)
    order = _by_origin_then_cost(residents.index, oi, cost, max_distance)
    table = pd.DataFrame(
        {
            COST_COLUMNS[0]: residents.index.to_numpy()[oi[order]],
            COST_COLUMNS[1]: facilities.index.to_numpy()[fi[order]],
            COST_COLUMNS[2]: cost[order].astype(float),
        }
    )
    _log_snaps(f"network table: {len(table)} pairs", rs, fs, net, max_snap_m)
    return table, pd.Series(rs.snapped, index=residents.index, name="snapped")


def network_counts(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    thresholds: Sequence[float],
    max_snap_m: float = 200.0,
    access_spacing_m: float = ACCESS_SPACING_M,
) -> tuple[dict[float, np.ndarray], pd.Series]:
    """Number of facilities within each walking distance of every resident.

    The same searches as :func:`network_table`, counted as they come instead
    of kept as pairs (no table of ~10^7 rows to build and sort).

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells in ``net.crs``.
    facilities : geopandas.GeoDataFrame
        Points, or polygons (parks) reached at their edge (:func:`facility_sources`),
        in ``net.crs``.
    net : WalkNetwork
        The network.
    thresholds : sequence of float
        Walking distances in metres (inclusive).
    max_snap_m : float, default 200
        Maximum distance from a point to the network.
    access_spacing_m : float, default 25
        Largest gap between access points along a polygon facility's edge, metres.

    Returns
    -------
    counts : dict
        Threshold -> facilities within it per resident (row order; 0 when unsnapped).
    snapped : pandas.Series
        Bool per resident, as in :func:`network_table`.
    """
    rs, fs = _snap_pair(residents, facilities, net, max_snap_m, access_spacing_m)
    counts = _counts_of(net, rs, fs, thresholds)
    _log_snaps("network counts", rs, fs, net, max_snap_m)
    return counts, pd.Series(rs.snapped, index=residents.index, name="snapped")


def _counts_of(
    net: WalkNetwork, rs: Snap, fs: Sources, thresholds: Sequence[float]
) -> dict[float, np.ndarray]:
    ts = sorted(float(t) for t in thresholds)
    counts = {t: np.zeros(len(rs.snapped), dtype=np.intp) for t in ts}
    for res, _, cost in _pairs(net, rs, fs, ts[-1]):
        for t in ts:
            counts[t] += np.bincount(res[cost <= t], minlength=len(rs.snapped))
    return counts


def _by_origin_then_cost(
    index: pd.Index, oi: np.ndarray, cost: np.ndarray, max_distance: float
) -> np.ndarray:
    """Order of pairs by origin id, then distance (equal to the micrometre: as they came).

    One stable sort of a 64-bit key (origin rank, micrometres): sorting the ~10^7
    pairs of a district by two keys (lexsort, pandas) takes several times longer.
    """
    rank = np.empty(len(index), dtype=np.int64)
    rank[np.asarray(index.argsort())] = np.arange(len(index))
    cost_bits = int(np.ceil(np.log2(max_distance * 1e6 + 2)))
    if cost_bits + int(np.ceil(np.log2(len(index) + 1))) > 62:
        return np.lexsort((cost, rank[oi]))  # too many to pack: the exact two-key sort
    key = (rank[oi] << cost_bits) | np.round(cost * 1e6).astype(np.int64)
    return np.argsort(key, kind="stable")


def _pairs(
    net: WalkNetwork, rs: Snap, fs: Sources, max_distance: float
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Resident rows, facility rows and metres of the pairs within reach, a group at a time.

    Snapped facilities go in spatially compact groups of up to ``_CHUNK`` (k-d
    tree order of their first access node), so each group's search stays on a
    small part of the network.
    """
    fac = np.flatnonzero(fs.snapped)
    if len(fac) == 0:
        return
    res_ok = np.flatnonzero(rs.snapped)
    first = fs.node[np.searchsorted(fs.facility, fac)]
    order = fac[cKDTree(net.xy[first], leafsize=_CHUNK).indices]
    in_res, in_fac = inside_pairs(fs.inside, rs)
    for i in range(0, len(order), _CHUNK):
        # Facility rows ascending within a group: equal distances list the lower row first.
        chunk = np.sort(order[i : i + _CHUNK])
        res, fi, cost = _chunk_pairs(net, rs, fs, res_ok, chunk, max_distance)
        here = np.isin(in_fac, chunk)
        if here.any():  # residents inside a park are at 0 m from it, whatever the path
            n = np.int64(len(fs.snapped))
            inside_key = in_res[here].astype(np.int64) * n + in_fac[here]
            other = ~np.isin(res.astype(np.int64) * n + fi, inside_key)
            res = np.concatenate([res[other], in_res[here]])
            fi = np.concatenate([fi[other], in_fac[here]])
            cost = np.concatenate([cost[other], np.zeros(int(here.sum()))])
        yield res, fi, cost


def _chunk_pairs(
    net: WalkNetwork,
    rs: Snap,
    fs: Sources,
    res_ok: np.ndarray,
    chunk: np.ndarray,
    max_distance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resident rows, facility rows and metres of the pairs within reach of some facilities.

    A path no longer than ``max_distance`` never leaves the disk of that radius
    around its start (an edge is at least as long as the straight line between
    its nodes), so the search runs on the part of the network inside the box
    around the disks of the facilities' access nodes: exact, and far smaller
    than the district. Each facility is a virtual source (:func:`_with_sources`).
    """
    acc = np.flatnonzero(np.isin(fs.facility, chunk))
    f_xy = net.xy[fs.node[acc]]
    pad = max_distance * (1 + 1e-9) + 1e-6  # rounding slack keeps the box a superset
    inside = ((net.xy >= f_xy.min(axis=0) - pad) & (net.xy <= f_xy.max(axis=0) + pad)).all(axis=1)
    nodes = np.flatnonzero(inside)
    local = np.full(len(net.xy), -1)
    local[nodes] = np.arange(len(nodes))
    sub = net.matrix[nodes][:, nodes]
    hub = np.searchsorted(chunk, fs.facility[acc])
    graph = _with_sources(sub, hub, local[fs.node[acc]], fs.distance_m[acc], len(chunk))
    dist = dijkstra(
        graph, directed=True, indices=len(nodes) + np.arange(len(chunk)), limit=max_distance
    )
    res = res_ok[local[rs.node[res_ok]] >= 0]  # residents attached inside the box
    cost = dist[:, local[rs.node[res]]] + rs.distance_m[res][None, :]
    fi, ri = np.nonzero(cost <= max_distance)
    return res[ri], chunk[fi], cost[fi, ri]


def _with_sources(
    matrix: csr_matrix, hub: np.ndarray, node: np.ndarray, snap_m: np.ndarray, n_hubs: int
) -> csr_matrix:
    """The network with ``n_hubs`` virtual source rows appended, one per facility.

    Hub ``hub[i]`` has a one-way edge of ``snap_m[i]`` metres to node ``node[i]``:
    a directed search from a hub measures snap + path from the facility's
    nearest access, and no path can run through a facility (hubs have no
    incoming edge). The network's own matrix is symmetric, so directed
    searches on it equal undirected ones. (A zero-length edge would read as
    "no edge" in a sparse matrix: the smallest positive float adds nothing.)
    """
    n = matrix.shape[0]
    data = np.concatenate([matrix.data, np.maximum(snap_m, np.finfo(float).tiny)])
    if len(hub) and (np.any(np.diff(hub) < 0) or _repeats(hub, node)):
        # Not in (hub, node) order or a pair twice: the general (summing) build.
        coo = matrix.tocoo()
        rows = np.concatenate([coo.row, n + hub])
        cols = np.concatenate([coo.col, node])
        return csr_matrix((data, (rows, cols)), shape=(n + n_hubs, n + n_hubs))
    # facility_sources gives one row per (facility, node) in that order: the hub rows
    # append to the matrix's own arrays as they are (no conversion of the whole network).
    kind = matrix.indices.dtype if n + n_hubs < np.iinfo(np.int32).max else np.int64
    per_hub = np.bincount(hub, minlength=n_hubs)
    indptr = np.concatenate([matrix.indptr, matrix.indptr[-1] + np.cumsum(per_hub)])
    indices = np.concatenate([matrix.indices, node]).astype(kind, copy=False)
    return csr_matrix(
        (data, indices, indptr.astype(kind, copy=False)), shape=(n + n_hubs, n + n_hubs)
    )


def _repeats(hub: np.ndarray, node: np.ndarray) -> bool:
    """True if a hub's nodes are not strictly increasing (a pair given twice, or unsorted)."""
    same = hub[1:] == hub[:-1]
    return bool(np.any(same & (node[1:] <= node[:-1])))


def network_nearest(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    max_distance: float,
    max_snap_m: float = 200.0,
    access_spacing_m: float = ACCESS_SPACING_M,
) -> tuple[pd.DataFrame, pd.Series]:
    """Nearest facility of every resident by walking distance, in one shortest-path pass.

    Distance = resident's snap distance + shortest path + facility's snap
    distance, as in :func:`network_table`, but only the nearest facility is
    kept, so one multi-source Dijkstra over the whole network answers every
    resident (instead of one search per facility).

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells in ``net.crs``.
    facilities : geopandas.GeoDataFrame
        Points, or polygons (parks) reached at their edge (:func:`facility_sources`),
        in ``net.crs``.
    net : WalkNetwork
        The network.
    max_distance : float
        Search cut-off in metres: farther residents get ``inf``.
    max_snap_m : float, default 200
        Maximum distance from a point to the network.
    access_spacing_m : float, default 25
        Largest gap between access points along a polygon facility's edge, metres.

    Returns
    -------
    nearest : pandas.DataFrame
        Indexed like ``residents``: ``nearest_id`` (missing beyond the cut-off
        or when unsnapped) and ``nearest_m`` (metres, ``inf`` there).
    snapped : pandas.Series
        Bool per resident, as in :func:`network_table`.
    """
    rs, fs = _snap_pair(residents, facilities, net, max_snap_m, access_spacing_m)
    out = _nearest_of(net, rs, fs, residents.index, facilities.index, max_distance)
    _log_snaps("network nearest", rs, fs, net, max_snap_m)
    return out, pd.Series(rs.snapped, index=residents.index, name="snapped")


def network_reach(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    thresholds: Sequence[float],
    max_snap_m: float = 200.0,
    counts: bool = True,
    access_spacing_m: float = ACCESS_SPACING_M,
) -> tuple[pd.DataFrame, dict[float, np.ndarray], pd.Series]:
    """Nearest facility and, if asked, the counts within each threshold, snapping once.

    What :func:`tianhe_geo.coverage.coverage` needs on a network:
    :func:`network_nearest` cut at the largest threshold and
    :func:`network_counts`, without snapping the residents twice.

    Parameters
    ----------
    residents, facilities, net, max_snap_m, access_spacing_m
        As :func:`network_counts`.
    thresholds : sequence of float
        Walking distances in metres; the nearest facility is searched up to
        the largest.
    counts : bool, default True
        Also count the facilities within each threshold (one search per
        facility; the nearest alone takes one pass).
    access_spacing_m : float, default 25
        As :func:`network_counts`.

    Returns
    -------
    nearest : pandas.DataFrame
        As :func:`network_nearest`.
    counts : dict
        As :func:`network_counts`; empty when ``counts`` is False.
    snapped : pandas.Series
        Bool per resident, as in :func:`network_table`.
    """
    rs, fs = _snap_pair(residents, facilities, net, max_snap_m, access_spacing_m)
    ts = sorted(float(t) for t in thresholds)
    nearest = _nearest_of(net, rs, fs, residents.index, facilities.index, ts[-1])
    n_within = _counts_of(net, rs, fs, ts) if counts else {}
    _log_snaps("network reach", rs, fs, net, max_snap_m)
    return nearest, n_within, pd.Series(rs.snapped, index=residents.index, name="snapped")


def _nearest_of(
    net: WalkNetwork,
    rs: Snap,
    fs: Sources,
    res_index: pd.Index,
    fac_index: pd.Index,
    max_distance: float,
) -> pd.DataFrame:
    out = pd.DataFrame(index=res_index)
    if not fs.snapped.any():  # no facility on the network: nobody is reached
        out["nearest_id"] = pd.Series([None] * len(out), index=out.index, dtype=object)
        out["nearest_m"] = np.inf
        return out
    cost, row = resident_reach(node_reach(net, fs, max_distance), rs)
    reached = row >= 0
    ids = fac_index.to_numpy()[np.where(reached, row, 0)]
    out["nearest_id"] = pd.Series(ids, index=out.index).where(reached)
    out["nearest_m"] = cost
    return out


@dataclass(frozen=True)
class NodeReach:
    """One facility layer's reach over the network: per node, the nearest facility.

    Computed once per layer and looked up by any number of residents (or
    partitions of them, each snapped on its own).

    Attributes
    ----------
    distance_m : numpy.ndarray
        Per node, metres to the nearest facility (its snap included); ``inf``
        beyond ``max_distance``.
    facility : numpy.ndarray
        Per node, the row of that facility (-1 when none within reach).
    max_distance : float
        Search cut-off in metres.
    inside : numpy.ndarray or None
        Per facility its polygon or None (:attr:`Sources.inside`): residents
        inside one are at 0 m from it.
    """

    distance_m: np.ndarray
    facility: np.ndarray
    max_distance: float
    inside: np.ndarray | None = None


def node_reach(net: WalkNetwork, fs: Sources, max_distance: float) -> NodeReach:
    """Nearest facility of every network node, in one multi-source pass.

    Parameters
    ----------
    net : WalkNetwork
        The network.
    fs : Sources
        The layer's sources (:func:`facility_sources`).
    max_distance : float
        Cut-off in metres (inclusive).

    Returns
    -------
    NodeReach
        Metres and facility row per node.
    """
    fac = np.flatnonzero(fs.snapped)
    n, k = net.matrix.shape[0], len(fac)
    if k == 0:
        return NodeReach(np.full(n, np.inf), np.full(n, -1, dtype=np.intp), max_distance, fs.inside)
    # Each facility is a virtual source joined to its access nodes, so one pass from
    # all of them measures snap + path from the nearest access of the nearest facility.
    augmented = _with_sources(
        net.matrix, np.searchsorted(fac, fs.facility), fs.node, fs.distance_m, k
    )
    dist, _, source = dijkstra(
        augmented,
        directed=True,
        indices=n + np.arange(k),
        min_only=True,
        return_predecessors=True,
        limit=max_distance,
    )
    row = np.where(source[:n] >= n, fac[np.clip(source[:n] - n, 0, k - 1)], -1)
    return NodeReach(dist[:n], row.astype(np.intp), max_distance, fs.inside)


def resident_reach(reach: NodeReach, rs: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Residents' metres to their nearest facility and its row, from a layer's node reach.

    Parameters
    ----------
    reach : NodeReach
        The layer's reach (:func:`node_reach`).
    rs : Snap
        The residents' snap (:func:`snap`).

    Returns
    -------
    cost : numpy.ndarray
        Snap + path metres per resident; ``inf`` beyond the cut-off or unsnapped.
    facility : numpy.ndarray
        Facility row per resident (-1 where ``cost`` is ``inf``); a resident
        inside a polygon facility is at 0 m from it (the lowest row of several).
    """
    cost = _path_cost(reach, rs)
    at = np.where(rs.snapped, rs.node, 0)
    row = np.where(cost < np.inf, reach.facility[at], -1)
    res, fac = _inside_first(reach, rs)
    cost[res], row[res] = 0.0, fac
    return cost, row


def resident_cost(reach: NodeReach, rs: Snap) -> np.ndarray:
    """Residents' metres to their nearest facility (the first result of :func:`resident_reach`).

    Parameters
    ----------
    reach : NodeReach
        The layer's reach (:func:`node_reach`).
    rs : Snap
        The residents' snap (:func:`snap`).

    Returns
    -------
    numpy.ndarray
        Snap + path metres per resident; ``inf`` beyond the cut-off or unsnapped,
        0 inside a polygon facility.
    """
    cost = _path_cost(reach, rs)
    cost[_inside_first(reach, rs)[0]] = 0.0
    return cost


def _path_cost(reach: NodeReach, rs: Snap) -> np.ndarray:
    """Snap + path metres per resident; ``inf`` beyond the cut-off or unsnapped."""
    # An unsnapped resident has node -1: it reads the last node's metres, then
    # gets inf (no million-row np.where for the index).
    cost = reach.distance_m[rs.node]
    cost += rs.distance_m
    cost[~rs.snapped | (cost > reach.max_distance)] = np.inf
    return cost


def _inside_first(reach: NodeReach, rs: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Residents inside a polygon facility and the lowest such facility row of each."""
    res, fac = inside_pairs(reach.inside, rs)
    if not len(res):
        return res, fac
    first = np.ones(len(res), dtype=bool)
    first[1:] = res[1:] != res[:-1]  # pairs come by resident, then facility row
    return res[first], fac[first]


def _snap_pair(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    max_snap_m: float,
    access_spacing_m: float = ACCESS_SPACING_M,
) -> tuple[Snap, Sources]:
    require_same_crs(residents=residents, facilities=facilities)
    require_projected(residents, "residents")
    if residents.crs != net.crs:
        msg = f"residents are in {residents.crs} but the network is in {net.crs}"
        raise NetworkError(msg)
    fs = facility_sources(facilities, net, max_snap_m, access_spacing_m)
    return snap(residents, net, max_snap_m), fs


def _log_snaps(what: str, rs: Snap, fs: Sources, net: WalkNetwork, max_snap_m: float) -> None:
    logger.info(
        "%s; %d of %d residents and %d of %d facilities unsnapped (> %g m); "
        "%d access points (%d entrances, %d way crossings) on the network; "
        "%d fragment nodes ignored",
        what,
        int((~rs.snapped).sum()),
        len(rs.snapped),
        int((~fs.snapped).sum()),
        len(fs.snapped),
        max_snap_m,
        int(fs.n_points.sum()),
        fs.n_entrances,
        fs.n_crossings,
        net.n_fragment_nodes,
    )


def nearest_node_distance(net: WalkNetwork, sources: np.ndarray, limit: float) -> np.ndarray:
    """Distance from every node to its nearest source node (one multi-source pass).

    Parameters
    ----------
    net : WalkNetwork
        The network.
    sources : numpy.ndarray
        Matrix rows of the source nodes.
    limit : float
        Search cut-off in metres; beyond it the distance is ``inf``.

    Returns
    -------
    numpy.ndarray
        Metres per node.
    """
    if len(sources) == 0:
        return np.full(net.matrix.shape[0], np.inf)
    return dijkstra(net.matrix, directed=False, indices=sources, min_only=True, limit=limit)


def read_walk_network(
    path: str | os.PathLike[str],
    crs: str = ANALYSIS_CRS,
    clip: shapely.Geometry | None = None,
) -> WalkNetwork:
    """Read a walking network from an OpenStreetMap extract (.osm XML or .osm.pbf).

    Both formats are read by the same pyosmium handler
    (:func:`tianhe_geo.data.osm.read_osm`) and give the same network: every way
    the walk rule keeps (:data:`tianhe_geo.data.osm.WALK_RULE`, documented tag
    by tag there), cut into straight segments between consecutive nodes,
    measured in ``crs``. Extracts cut at their edge, whose ways reference
    missing nodes, are accepted.

    Parameters
    ----------
    path : path-like
        ``.osm`` or ``.osm.pbf`` / ``.pbf`` file.
    crs : str, default EPSG:4547
        Projected CRS to measure in.
    clip : shapely geometry, optional
        Area to keep (lon/lat, EPSG:4326), e.g. the district plus a buffer;
        segments with a node outside it are dropped.

    Returns
    -------
    WalkNetwork
        The network.

    Raises
    ------
    DataSourceError
        File missing or unreadable, or no walkable way inside ``clip``.
    """
    extract = read_osm(path, clip)
    try:
        net = from_frames(extract.nodes, extract.segments, crs)
    except NetworkError as exc:
        msg = f"{Path(path)}: {exc}"
        raise DataSourceError(msg) from exc
    ent = extract.entrances
    pts = gpd.GeoSeries.from_xy(ent["lon"], ent["lat"], crs=STORAGE_CRS).to_crs(crs)
    return replace(net, entrances=shapely.get_coordinates(pts.values).reshape(-1, 2))
