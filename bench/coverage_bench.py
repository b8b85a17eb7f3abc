"""Benchmark: the package's coverage calls against the raw limits and the naive way.

Run: ``python bench/coverage_bench.py [--residents 1000000] [--facilities 5000] [--nodes 200000]``

Prints throughput and ratios in one run:
* straight line: ``tianhe_geo.coverage.nearest_facility`` and ``coverage`` vs a bare
  ``scipy.spatial.cKDTree.query`` (the limit) and vs the naive buffer + union + sjoin; the
  facility counts within each radius vs ``cKDTree.query_ball_point(return_length=True)``
  (the fastest library counting measured here; scikit-learn's KDTree was slower);
* network: ``tianhe_geo.coverage(distance=OnNetwork(net), counts=False)`` (one multi-source pass,
  with snapping and the summary) and ``network.nearest_node_distance`` vs bare scipy
  multi-source Dijkstra, and networkx ``multi_source_dijkstra_path_length``, on a synthetic
  perturbed grid.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from tianhe_geo.analysis.coverage import coverage
from tianhe_geo.analysis.distance import OnNetwork
from tianhe_geo.analysis.euclidean import euclidean_counts, nearest_facility
from tianhe_geo.analysis.network import from_edges, nearest_node_distance, network_table

CRS = "EPSG:4547"
SPAN = 11_700.0  # metres: a square of about 137 km2


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved(fns: dict, repeat: int = 5) -> dict:
    """Median seconds per function, the runs interleaved so that a busy moment
    of a shared machine slows every method alike (ratios are the robust figures)."""
    times = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def straight_line(n_res: int, n_fac: int, rng) -> None:
    res_xy = rng.uniform(0, SPAN, (n_res, 2)) + 500_000
    fac_xy = rng.uniform(0, SPAN, (n_fac, 2)) + 500_000
    res = gpd.GeoDataFrame(
        {"population": rng.integers(1, 5, n_res)}, geometry=shapely.points(res_xy), crs=CRS
    )
    fac = gpd.GeoDataFrame(geometry=shapely.points(fac_xy), crs=CRS)

    def naive():
        for r in (300, 500, 1000):
            zone = gpd.GeoDataFrame(geometry=[fac.buffer(r).union_all()], crs=CRS)
            gpd.sjoin(res, zone, predicate="within")

    radii = (300, 500, 1000)
    tree = cKDTree(fac_xy)
    t = interleaved(
        {
            "raw": lambda: cKDTree(fac_xy).query(res_xy, k=1, workers=-1),
            "near": lambda: nearest_facility(res, fac),
            "flags": lambda: coverage(res, fac, radii, counts=False),
            "naive": naive,
            "kd_counts": lambda: [
                tree.query_ball_point(res_xy, r=r, workers=-1, return_length=True) for r in radii
            ],
            "counts": lambda: euclidean_counts(res, fac, radii),
            "cov": lambda: coverage(res, fac, radii),
        },
        repeat=5,
    )
    n = n_res
    print(
        f"straight line, {n_res:,} residents x {n_fac:,} facilities, radii {radii} m "
        "(medians of 5 interleaved runs)"
    )
    rows = [
        ("cKDTree.query (limit)", "raw", "raw"),
        ("tianhe_geo nearest_facility", "near", "raw"),
        ("tianhe_geo coverage, flags only", "flags", "raw"),
        ("cKDTree.query_ball_point counts", "kd_counts", "kd_counts"),
        ("tianhe_geo euclidean_counts", "counts", "kd_counts"),
        ("tianhe_geo coverage, with counts", "cov", "raw"),
        ("naive buffer+union+sjoin", "naive", "raw"),
    ]
    for label, key, ref in rows:
        ratio = "" if key == ref else f"  x{t[key] / t[ref]:.2f} of {ref}"
        print(f"  {label:34s}{t[key]:8.3f} s  {n / t[key] / 1e6:6.2f} M pts/s{ratio}")
    print(
        f"  package vs naive: flags only {t['naive'] / t['flags']:.1f}x faster, "
        f"with counts {t['naive'] / t['cov']:.1f}x faster; grid counts "
        f"{t['kd_counts'] / t['counts']:.1f}x faster than cKDTree counts"
    )


def clustered_counts(n_res: int, n_fac: int, rng) -> None:
    """Counting where residents live in four dense towns spread over 40 km."""
    centres = rng.uniform(0, 40_000, (4, 2)) + 500_000
    res_xy = np.concatenate([c + rng.normal(0, 700, (n_res // 4, 2)) for c in centres])
    fac_xy = np.concatenate([c + rng.normal(0, 700, (n_fac // 4, 2)) for c in centres])
    res = gpd.GeoDataFrame(geometry=shapely.points(res_xy), crs=CRS)
    fac = gpd.GeoDataFrame(geometry=shapely.points(fac_xy), crs=CRS)
    radii = (300, 500, 1000)
    tree = cKDTree(fac_xy)
    t = interleaved(
        {
            "kd": lambda: [
                tree.query_ball_point(res_xy, r=r, workers=-1, return_length=True) for r in radii
            ],
            "grid": lambda: euclidean_counts(res, fac, radii),
        },
        repeat=3,
    )
    print(f"clustered counts, {n_res:,} residents in 4 towns x {n_fac:,} facilities (medians of 3)")
    print(f"  cKDTree.query_ball_point counts   {t['kd']:8.3f} s")
    print(
        f"  tianhe_geo euclidean_counts       {t['grid']:8.3f} s  {t['kd'] / t['grid']:.1f}x faster"
    )


def grid_network(n_nodes: int, rng):
    side = int(np.sqrt(n_nodes))
    step = SPAN / side
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([ii.ravel(), jj.ravel()]) * step + rng.normal(
        0, step * 0.15, (side * side, 2)
    )
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.1  # 10 % of links removed
    return from_edges(np.arange(side * side), xy, u[keep], v[keep], CRS)


def network(n_nodes: int, n_fac: int, rng) -> None:
    net = grid_network(n_nodes, rng)
    src = rng.choice(np.flatnonzero(net.in_main), n_fac, replace=False)
    # A resident at every node, facilities at the source nodes: the coverage call answers
    # the same question as the bare pass, plus snapping, checks and the summary.
    res = gpd.GeoDataFrame(
        {"population": np.ones(len(net.xy))}, geometry=shapely.points(net.xy), crs=CRS
    )
    fac = gpd.GeoDataFrame(geometry=shapely.points(net.xy[src]), crs=CRS)
    t = interleaved(
        {
            "raw": lambda: dijkstra(
                net.matrix, directed=False, indices=src, min_only=True, limit=1000
            ),
            "pkg": lambda: nearest_node_distance(net, src, 1000),
            "cov": lambda: coverage(res, fac, 1000, distance=OnNetwork(net), counts=False),
            # The bare pieces of that call: snap every resident (k-d tree), one pass.
            "raw_snap": lambda: (
                cKDTree(net.xy[net.in_main]).query(net.xy, k=1, workers=-1),
                dijkstra(net.matrix, directed=False, indices=src, min_only=True, limit=1000),
            ),
        },
        repeat=7,
    )
    t_raw, t_pkg, t_cov, t_snap = t["raw"], t["pkg"], t["cov"], t["raw_snap"]
    # The long table (all pairs within 1,000 m, what counts and 2SFCA need): one search per
    # facility, each on the part of the network within reach.
    t0 = time.perf_counter()
    n_pairs = len(network_table(res, fac, net, 1000)[0])
    t_table = time.perf_counter() - t0
    t_counts = best(lambda: coverage(res, fac, [300, 500, 1000], distance=OnNetwork(net)), repeat=1)
    g = nx.from_scipy_sparse_array(net.matrix)
    t_nx = best(
        lambda: nx.multi_source_dijkstra_path_length(g, set(src.tolist()), cutoff=1000), repeat=1
    )
    n = net.matrix.shape[0]
    print(f"network, {n:,} nodes, {n_fac:,} facilities, 1,000 m cut-off")
    print(f"  scipy dijkstra min_only (limit)  {t_raw:8.3f} s")
    print(f"  tianhe_geo nearest_node_distance {t_pkg:8.3f} s  x{t_pkg / t_raw:.2f} of limit")
    print(f"  snap residents + dijkstra (limit)  {t_snap:8.3f} s  (a resident at every node)")
    print(
        f"  tianhe_geo coverage(OnNetwork, counts=False) {t_cov:8.3f} s  "
        f"x{t_cov / t_snap:.2f} of snap + pass, x{t_cov / t_raw:.2f} of the pass alone"
    )
    print(
        f"  networkx multi-source            {t_nx:8.3f} s  package is {t_nx / t_pkg:.1f}x faster"
    )
    print(
        f"  tianhe_geo network_table, all pairs <= 1 km {t_table:8.3f} s  "
        f"{n_pairs / 1e6:.1f} M pairs, {n_pairs / t_table / 1e6:.2f} M pairs/s"
    )
    print(f"  tianhe_geo coverage(OnNetwork), counts at 3 radii {t_counts:8.3f} s  (no pair table)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--residents", type=int, default=1_000_000)
    p.add_argument("--facilities", type=int, default=5_000)
    p.add_argument("--nodes", type=int, default=200_000)
    a = p.parse_args()
    rng = np.random.default_rng(42)
    straight_line(a.residents, a.facilities, rng)
    clustered_counts(a.residents, a.facilities, rng)
    network(a.nodes, a.facilities, rng)


if __name__ == "__main__":
    main()
