"""OpenStreetMap extracts: which ways a pedestrian uses, read into plain node and edge tables.

The parsers here return raw frames (nodes with ``id``, ``lon``, ``lat``;
straight segments with ``u``, ``v`` and the tags the walking rule reads);
:func:`tianhe_geo.analysis.network.read_walk_network` builds the network
from them, as osmnx's ``graph_from_xml`` calls its private XML reader.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..foundation.errors import DataSourceError

#: Ways nobody walks along, dropped from street networks read from OSM.
NOT_WALKABLE = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "construction",
        "proposed",
        "abandoned",
        "raceway",
        "bus_guideway",
    }
)


def walkable(highway: pd.Series, access: pd.Series) -> np.ndarray:
    """Which OSM ways a pedestrian may use, from their ``highway`` and ``access`` tags.

    Parameters
    ----------
    highway, access : pandas.Series
        Tag values per way (missing allowed).

    Returns
    -------
    numpy.ndarray
        Bool per way: a highway of a walkable kind whose access is not
        ``no`` / ``private``.
    """
    kind = highway.astype("string")
    ok = kind.notna() & ~kind.isin(NOT_WALKABLE)
    ok &= ~access.astype("string").isin(["no", "private"]).fillna(False)
    return ok.to_numpy(dtype=bool)


def read_osm_graph(path: str | os.PathLike[str]) -> Any:
    """Read a street graph from an OpenStreetMap XML file (.osm) with osmnx.

    Parameters
    ----------
    path : path-like
        ``.osm`` XML file (for example an export from openstreetmap.org).

    Returns
    -------
    networkx.MultiDiGraph
        Unsimplified graph in EPSG:4326 (every way kept, all components).
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: OSM file not found"
        raise DataSourceError(msg)
    try:
        import osmnx as ox
    except ImportError as exc:
        msg = "network distance needs osmnx: pip install 'tianhe-geo[network]'"
        raise DataSourceError(msg) from exc
    try:
        return ox.graph_from_xml(p, simplify=False, retain_all=True, bidirectional=True)
    except Exception as exc:
        msg = f"{p}: cannot be read as OpenStreetMap XML: {exc}"
        raise DataSourceError(msg) from exc


def _pbf_edges(path: Path, clip: shapely.Geometry | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        import pyrosm
    except ImportError as exc:
        msg = "reading .osm.pbf needs pyrosm: pip install 'tianhe-geo[network]'"
        raise DataSourceError(msg) from exc
    try:
        osm = pyrosm.OSM(str(path), bounding_box=clip)
        nodes, edges = osm.get_network(network_type="all", nodes=True)
    except Exception as exc:
        msg = f"{path}: cannot be read as OpenStreetMap PBF: {exc}"
        raise DataSourceError(msg) from exc
    if nodes is None or edges is None or len(edges) == 0:
        return pd.DataFrame(columns=["id", "lon", "lat"]), pd.DataFrame(
            columns=["u", "v", "highway", "access"]
        )
    if "access" not in edges.columns:
        edges = edges.assign(access=None)
    return pd.DataFrame(nodes[["id", "lon", "lat"]]), pd.DataFrame(
        edges[["u", "v", "highway", "access"]]
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


def read_walk_frames(
    path: str | os.PathLike[str], clip: shapely.Geometry | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and walkable straight segments of an OpenStreetMap extract.

    Parameters
    ----------
    path : path-like
        ``.osm`` XML or ``.osm.pbf`` / ``.pbf`` file.
    clip : shapely geometry, optional
        Area to keep (lon/lat, EPSG:4326); the PBF reader reads only its box.

    Returns
    -------
    nodes : pandas.DataFrame
        ``id``, ``lon``, ``lat``.
    edges : pandas.DataFrame
        ``u``, ``v`` (node ids), ``highway``, ``access`` of every segment a
        pedestrian may use (:func:`walkable`).

    Raises
    ------
    DataSourceError
        File missing or unreadable.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: OSM file not found"
        raise DataSourceError(msg)
    if p.suffix.lower() == ".pbf":
        nodes, edges = _pbf_edges(p, clip)
    else:
        nodes, edges = graph_frames(read_osm_graph(p))
    return nodes, edges[walkable(edges["highway"], edges["access"])]
