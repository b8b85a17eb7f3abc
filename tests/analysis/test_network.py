from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tianhe_geo import DataSourceError, NetworkError
from tianhe_geo.analysis.coverage import coverage
from tianhe_geo.analysis.distance import CostTable, DistanceMethod, OnNetwork, cost_table
from tianhe_geo.analysis.euclidean import euclidean_table
from tianhe_geo.analysis.network import (
    from_edges,
    from_graph,
    nearest_node_distance,
    network_counts,
    network_nearest,
    network_table,
    read_walk_network,
)
from tianhe_geo.foundation.crs import ANALYSIS_CRS

OSM = Path(__file__).parents[1] / "fixtures" / "grid.osm"


@pytest.fixture(scope="module")
def net():
    return read_walk_network(OSM, ANALYSIS_CRS)


def _oracle(net):
    """networkx graph on the same straight edges, lengths measured independently."""
    g = nx.Graph()
    coo = net.matrix.tocoo()
    for a, b in zip(coo.row, coo.col, strict=True):
        d = float(np.hypot(*(net.xy[a] - net.xy[b])))
        g.add_edge(
            int(a), int(b), weight=min(d, g.edges[a, b]["weight"]) if g.has_edge(a, b) else d
        )
    return g


def _points(lonlat, prefix):
    pts = gpd.GeoSeries.from_xy(*np.asarray(lonlat).T, crs=4326).to_crs(ANALYSIS_CRS)
    return gpd.GeoDataFrame(
        {"population": np.arange(1, len(pts) + 1)},
        geometry=pts.values,
        crs=ANALYSIS_CRS,
        index=[f"{prefix}{i}" for i in range(len(pts))],
    )


def test_graph_read_and_fragments(net):
    assert len(net.node_ids) == 27
    assert net.n_fragment_nodes == 2
    # 20 east-west + 12 north-south + spur + fragment; the parallel service way is merged
    assert net.matrix.nnz == 2 * (5 * 4 + 3 * 4 + 1 + 1)


def test_table_equals_networkx(net):
    res = _points([[113.3312, 23.1309], [113.3334, 23.1337], [113.3302, 23.1341]], "r")
    fac = _points([[113.3339, 23.1301], [113.3301, 23.1322]], "f")
    table, snapped = network_table(res, fac, net, max_distance=5000, max_snap_m=200)
    assert snapped.all()
    g = _oracle(net)
    tree_xy = net.xy[net.in_main]
    main = np.flatnonzero(net.in_main)
    for _, row in table.iterrows():
        r = shapely.get_coordinates(res.loc[[row.origin_id]].geometry.values)[0]
        f = shapely.get_coordinates(fac.loc[[row.destination_id]].geometry.values)[0]
        rn = main[np.argmin(np.hypot(*(tree_xy - r).T))]
        fn = main[np.argmin(np.hypot(*(tree_xy - f).T))]
        expect = nx.shortest_path_length(g, int(rn), int(fn), weight="weight")
        expect += np.hypot(*(net.xy[rn] - r)) + np.hypot(*(net.xy[fn] - f))
        assert row.cost_m == pytest.approx(expect, abs=1e-6)
    assert len(table) == 6


def test_network_never_shorter_than_straight_line(net):
    rng = np.random.default_rng(1)
    res = _points(
        np.column_stack([rng.uniform(113.330, 113.334, 40), rng.uniform(23.130, 23.134, 40)]), "r"
    )
    fac = _points(
        np.column_stack([rng.uniform(113.330, 113.334, 5), rng.uniform(23.130, 23.134, 5)]), "f"
    )
    nt, _ = network_table(res, fac, net, 3000)
    et = euclidean_table(res, fac, 3000)
    merged = nt.merge(et, on=["origin_id", "destination_id"], suffixes=("_net", "_line"))
    assert len(merged) == len(nt)
    assert (merged["cost_m_net"] >= merged["cost_m_line"] - 1e-9).all()


def test_unsnapped_and_fragments_are_reported_not_counted(net):
    # r1 sits on the fragment (700 m east of the grid), r2 is 2 km away.
    res = _points([[113.331, 23.131], [113.342, 23.1325], [113.35, 23.15]], "r")
    fac = _points([[113.332, 23.132]], "f")
    table = cost_table(res, fac, 1000, OnNetwork(net, max_snap_m=150))
    assert table.valid.tolist() == [True, False, False]
    out = coverage(res, fac, [1000], distance=table)
    s = out.summary.loc["district"]
    assert s["population"] == 1 and s["unknown_pop"] == 5 and s["share_1000"] == 1.0
    assert out.method == DistanceMethod("network", max_snap_m=150, access_spacing_m=25.0)


def test_multi_source_nearest_matches_table(net):
    rows = np.flatnonzero(net.in_main)[[0, 10]]
    d = nearest_node_distance(net, rows, limit=10_000)
    g = _oracle(net)
    for n in np.flatnonzero(net.in_main):
        expect = min(nx.shortest_path_length(g, int(n), int(s), weight="weight") for s in rows)
        assert d[n] == pytest.approx(expect, abs=1e-6)
    assert np.isinf(d[~net.in_main]).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.floats(100, 1500), n_fac=st.integers(1, 6))
def test_one_pass_nearest_equals_the_nearest_of_the_table(net, seed, cut, n_fac):
    # The table is checked against networkx above; the one-pass answer must pick the same
    # distance (facility snap distances differ, so a plain node-to-node pass would not).
    rng = np.random.default_rng(seed)
    box = ([113.3295, 23.1295], [113.3345, 23.1345])  # the grid plus a margin
    res = _points(rng.uniform(*box, (30, 2)), "r")
    fac = _points(rng.uniform(*box, (n_fac, 2)), "f")
    near, ok = network_nearest(res, fac, net, cut, max_snap_m=150)
    table, ok_table = network_table(res, fac, net, cut, max_snap_m=150)
    assert (ok == ok_table).all()
    best = table.groupby("origin_id")["cost_m"].min().reindex(res.index)
    reached = best.notna().to_numpy()
    assert np.allclose(near["nearest_m"].to_numpy()[reached], best[reached], atol=1e-6)
    assert np.isinf(near["nearest_m"].to_numpy()[~reached]).all()
    assert near["nearest_id"].isna().to_numpy().tolist() == (~reached).tolist()
    # The named facility is one at that distance.
    pair = table.set_index(["origin_id", "destination_id"])["cost_m"]
    for rid, row in near[reached].iterrows():
        assert pair[(rid, row["nearest_id"])] == pytest.approx(row["nearest_m"], abs=1e-6)
    # coverage(..., distance=OnNetwork) gives the same flags with and without counting, and
    # the counts (searched without building a table) equal the table's.
    walk = OnNetwork(net, max_snap_m=150)
    fast = coverage(res, fac, [cut / 2, cut], distance=walk, counts=False)
    full = coverage(res, fac, [cut / 2, cut], distance=walk)
    for t in (cut / 2, cut):
        assert (fast.covered(t) == full.covered(t)).all()
        expect = table[table["cost_m"] <= t].groupby("origin_id").size()
        expect = expect.reindex(res.index, fill_value=0).to_numpy()
        assert (full.residents[f"n_within_{t:g}"].to_numpy() == expect).all()
    assert fast.summary.equals(full.summary) and fast.method == walk.method


def test_one_pass_nearest_without_a_snapped_facility(net):
    res = _points([[113.331, 23.131]], "r")
    fac = _points([[113.35, 23.15]], "f")  # 2 km from the grid
    near, ok = network_nearest(res, fac, net, 1000, max_snap_m=150)
    assert ok.all() and np.isinf(near["nearest_m"]).all() and near["nearest_id"].isna().all()


def test_no_edges_and_bad_files(tmp_path):
    with pytest.raises(NetworkError, match="no edges"):
        from_edges(
            np.array([1, 2]), np.zeros((2, 2)), np.array([], int), np.array([], int), ANALYSIS_CRS
        )
    with pytest.raises(DataSourceError, match="not found"):
        read_walk_network(tmp_path / "x.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text('<osm version="0.6"><broken')
    with pytest.raises(DataSourceError, match=r"bad\.osm: cannot be read as OpenStreetMap"):
        read_walk_network(bad)
    fake = tmp_path / "fake.osm.pbf"
    fake.write_bytes(b"not a protocol buffer")
    with pytest.raises(DataSourceError, match=r"fake\.osm\.pbf: cannot be read as OpenStreetMap"):
        read_walk_network(fake)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), t=st.floats(50, 1500))
def test_network_coverage_monotone(net, seed, t):
    rng = np.random.default_rng(seed)
    res = _points(
        np.column_stack([rng.uniform(113.330, 113.334, 20), rng.uniform(23.130, 23.134, 20)]), "r"
    )
    fac = _points([[113.330 + 0.004 * rng.random(), 23.130 + 0.004 * rng.random()]], "f")
    table, ok = network_table(res, fac, net, 2000)
    out = coverage(res, fac, [t, t + 200], distance=CostTable(table, valid=ok))
    s = out.summary.loc["district"]
    assert s[f"covered_pop_{t + 200:g}"] >= s[f"covered_pop_{t:g}"]


def _pbf_copy(src: Path, dest: Path) -> Path:
    """Write the same OSM data as PBF with pyosmium (an independent writer)."""
    import osmium

    writer = osmium.SimpleWriter(str(dest), overwrite=True)

    class Copy(osmium.SimpleHandler):
        def node(self, n):
            writer.add_node(n)

        def way(self, w):
            writer.add_way(w)

    Copy().apply_file(str(src))
    writer.close()
    return dest


def test_pbf_and_xml_give_the_same_network(tmp_path):
    import osmnx as ox

    xml = read_walk_network(OSM, ANALYSIS_CRS)
    pbf = read_walk_network(_pbf_copy(OSM, tmp_path / "grid.osm.pbf"), ANALYSIS_CRS)
    assert sorted(xml.node_ids.tolist()) == sorted(pbf.node_ids.tolist())
    order = np.argsort(pbf.node_ids)[np.searchsorted(np.sort(pbf.node_ids), xml.node_ids)]
    assert np.allclose(pbf.xy[order], xml.xy, atol=1e-6)
    # Same shortest paths: distance from the first node to every node.
    src = np.array([0])
    a = nearest_node_distance(xml, src, 5000)
    b = nearest_node_distance(pbf, order[src], 5000)[order]
    assert np.allclose(a, b)
    # And the same as osmnx's graph of the file, an independent reader (every way here
    # is walkable).
    graph = ox.graph_from_xml(OSM, simplify=False, retain_all=True, bidirectional=True)
    direct = from_graph(graph, ANALYSIS_CRS)
    assert sorted(direct.node_ids.tolist()) == sorted(xml.node_ids.tolist())
    assert direct.matrix.nnz == xml.matrix.nnz
    assert direct.matrix.sum() == pytest.approx(xml.matrix.sum(), abs=1e-6)


def test_unwalkable_ways_and_clip_are_dropped(tmp_path):
    text = OSM.read_text()
    motorway = tmp_path / "motorway.osm"
    motorway.write_text(text.replace('v="residential"', 'v="motorway"', 1))
    full = read_walk_network(OSM, ANALYSIS_CRS)
    fewer = read_walk_network(motorway, ANALYSIS_CRS)
    assert fewer.matrix.nnz < full.matrix.nnz
    pbf = read_walk_network(_pbf_copy(motorway, tmp_path / "m.osm.pbf"), ANALYSIS_CRS)
    assert pbf.matrix.nnz == fewer.matrix.nnz
    west = shapely.box(113.3295, 23.1295, 113.3315, 23.1345)  # the two western columns
    clipped = read_walk_network(OSM, ANALYSIS_CRS, clip=west)
    assert 0 < len(clipped.node_ids) < len(full.node_ids)
    with pytest.raises(DataSourceError, match="no walkable street"):
        read_walk_network(OSM, ANALYSIS_CRS, clip=shapely.box(113.0, 23.0, 113.01, 23.01))


def test_service_radius_per_facility_on_the_network(net):
    from tianhe_geo.plan.compliance import measure_coverage

    res = _points([[113.3312, 23.1309], [113.3334, 23.1337], [113.3302, 23.1341]], "r")
    fac = _points([[113.3339, 23.1301], [113.3301, 23.1322]], "f")
    full, _ = network_table(res, fac, net, max_distance=5000, max_snap_m=200)
    cost = full.pivot(index="origin_id", columns="destination_id", values="cost_m")
    for radii in ([150.0, 600.0], [600.0, 150.0], [400.0, 400.0]):
        out = measure_coverage(
            res, fac, [max(radii)], network=net, group=None, service_radius_m=radii
        )
        # Brute force on the full table: within the radius of at least one facility.
        want = (cost.reindex(index=res.index, columns=fac.index) <= radii).any(axis=1)
        np.testing.assert_array_equal(out.covered().to_numpy(), want.to_numpy())
        assert out.method == DistanceMethod(
            "network", max_snap_m=200, per_facility_radius=True, access_spacing_m=25.0
        )


def test_table_on_a_larger_grid_equals_whole_network_search():
    # Each group of facilities is searched only on the part of the network within reach;
    # the answer must equal a search over the whole network (here 3,600 nodes).
    rng = np.random.default_rng(7)
    side, step = 60, 50.0
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([ii.ravel(), jj.ravel()]) * step + 500_000
    xy += rng.normal(0, 8, xy.shape)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.15
    net = from_edges(np.arange(side * side), xy, u[keep], v[keep], ANALYSIS_CRS)

    def pts(n, prefix):
        p = rng.uniform(500_000, 500_000 + side * step, (n, 2))
        return gpd.GeoDataFrame(
            {"population": np.ones(n)},
            geometry=shapely.points(p),
            crs=ANALYSIS_CRS,
            index=[f"{prefix}{i}" for i in range(n)],
        )

    res, fac = pts(400, "r"), pts(150, "f")  # 150 facilities: three groups of 64 or fewer
    table, snapped = network_table(res, fac, net, max_distance=400, max_snap_m=60)

    from scipy.sparse.csgraph import dijkstra

    from tianhe_geo.analysis.network import snap

    rs, fs = snap(res, net, 60), snap(fac, net, 60)
    full = dijkstra(net.matrix, directed=False, indices=fs.node[fs.snapped])
    cost = full[:, rs.node[rs.snapped]] + rs.distance_m[rs.snapped]
    cost += fs.distance_m[fs.snapped][:, None]
    fi, ri = np.nonzero(cost <= 400)
    expect = pd.DataFrame(
        {
            "origin_id": res.index[rs.snapped][ri],
            "destination_id": fac.index[fs.snapped][fi],
            "cost_m": cost[fi, ri],
        }
    )
    got = table.set_index(["origin_id", "destination_id"])["cost_m"]
    want = expect.set_index(["origin_id", "destination_id"])["cost_m"]
    assert len(got) == len(want) > 100
    assert np.allclose(got.sort_index(), want.sort_index(), atol=1e-6)
    assert (snapped.to_numpy() == rs.snapped).all()
    # Counted without a table, the same searches give the same numbers.
    counts, _ = network_counts(res, fac, net, [200, 400], max_snap_m=60)
    for t in (200, 400):
        expect = np.zeros(len(res), dtype=int)
        np.add.at(expect, np.flatnonzero(rs.snapped)[ri[cost[fi, ri] <= t]], 1)
        assert (counts[t] == expect).all()
