"""Benchmark: the package's coverage calls against the raw limits and the naive way.

Run: ``python bench/coverage_bench.py [--residents 1000000] [--facilities 5000] [--nodes 200000]``

Prints throughput and ratios in one run:
* straight line: ``tianhe_geo.coverage.nearest_facility`` and ``coverage`` vs a bare
  ``scipy.spatial.cKDTree.query`` (the limit) and vs the naive buffer + union + sjoin;
* network: ``tianhe_geo.network.nearest_node_distance`` vs bare scipy multi-source Dijkstra and
  networkx ``multi_source_dijkstra_path_length`` on a synthetic perturbed grid.
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

from tianhe_geo.coverage import coverage, nearest_facility
from tianhe_geo.network import from_edges, nearest_node_distance

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

    t = interleaved(
        {
            "raw": lambda: cKDTree(fac_xy).query(res_xy, k=1, workers=-1),
            "near": lambda: nearest_facility(res, fac),
            "flags": lambda: coverage(res, fac, [300, 500, 1000], counts=False),
            "naive": naive,
        },
        repeat=5,
    )
    t_raw, t_near, t_flags, t_naive = t["raw"], t["near"], t["flags"], t["naive"]
    t_cov = best(lambda: coverage(res, fac, [300, 500, 1000]), repeat=1)
    print(
        f"straight line, {n_res:,} residents x {n_fac:,} facilities "
        "(medians of 5 interleaved runs; counts: 1 run)"
    )
    print(f"  cKDTree.query (limit)            {t_raw:8.3f} s  {n_res / t_raw / 1e6:6.2f} M pts/s")
    print(
        f"  tianhe_geo nearest_facility      {t_near:8.3f} s  {n_res / t_near / 1e6:6.2f} M pts/s  x{t_near / t_raw:.2f} of limit"
    )
    print(
        f"  tianhe_geo coverage, 3 radii     {t_cov:8.3f} s  {n_res / t_cov / 1e6:6.2f} M pts/s  x{t_cov / t_raw:.2f} of limit"
    )
    print(
        f"  tianhe_geo coverage, flags only  {t_flags:8.3f} s  {n_res / t_flags / 1e6:6.2f} M pts/s"
        f"  x{t_flags / t_raw:.2f} of limit"
    )
    print(
        f"  naive buffer+union+sjoin, 3 radii{t_naive:8.3f} s  "
        f"package is {t_naive / t_cov:.1f}x (with counts) / {t_naive / t_flags:.1f}x (flags) faster"
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
    t_raw = best(
        lambda: dijkstra(net.matrix, directed=False, indices=src, min_only=True, limit=1000)
    )
    t_pkg = best(lambda: nearest_node_distance(net, src, 1000))
    g = nx.from_scipy_sparse_array(net.matrix)
    t_nx = best(
        lambda: nx.multi_source_dijkstra_path_length(g, set(src.tolist()), cutoff=1000), repeat=1
    )
    n = net.matrix.shape[0]
    print(f"network, {n:,} nodes, {n_fac:,} facilities, 1,000 m cut-off")
    print(f"  scipy dijkstra min_only (limit)  {t_raw:8.3f} s")
    print(f"  tianhe_geo nearest_node_distance {t_pkg:8.3f} s  x{t_pkg / t_raw:.2f} of limit")
    print(
        f"  networkx multi-source            {t_nx:8.3f} s  package is {t_nx / t_pkg:.1f}x faster"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--residents", type=int, default=1_000_000)
    p.add_argument("--facilities", type=int, default=5_000)
    p.add_argument("--nodes", type=int, default=200_000)
    a = p.parse_args()
    rng = np.random.default_rng(42)
    straight_line(a.residents, a.facilities, rng)
    network(a.nodes, a.facilities, rng)


if __name__ == "__main__":
    main()
