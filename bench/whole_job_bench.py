"""Benchmark: the whole coverage job as whole processes, tianhe-geo against plain scipy and others.

Run: ``python bench/whole_job_bench.py [--small] [--repeat 4] [--scale]``;
``--scale-only [--sizes 100000 1000000 5000000]``, ``--dask [--residents N]``
and ``--straight-only`` run one part alone.

The job (issue #16): a synthetic 137 km² district with 1 M population-weighted
residents, a 200,000-node perturbed street grid (10 % of links removed), four
facility layers of 60 / 200 / 500 / 800 points and radii 300 / 500 / 1,000 m:
the population share within each radius of each layer, along the network.

Each method runs in a fresh process reading the same arrays from ``.npz``
files; the runs alternate (A B C A B C ...) so a busy moment of the shared
machine slows every method alike. A process reports its own wall time
(imports included) and peak RSS (``VmHWM``). Methods:

* ``arrays``: imports and reading the arrays alone (the floor);
* ``imports``: tianhe-geo's imports (pandas and geopandas among them) and the
  arrays alone: the fixed cost above ``arrays`` that any size of job pays;
* ``scipy``: a plain script, k-d tree snap once + one min-only multi-source
  ``scipy.sparse.csgraph.dijkstra`` per layer (the reference, ratio 1.0);
* ``tianhe``: the public API on coordinates, ``from_edges`` +
  ``coverage_many(res_xy, layers_xy, ..., OnNetwork(net), population=pop, crs=CRS)``;
* ``gdf_floor``: imports, the arrays and building GeoDataFrames of shapely
  points from them (what a GeoDataFrame user's input costs before any analysis);
* ``tianhe_gdf``: the same from GeoDataFrames of shapely points;
* ``tianhe_loop``: ``coverage(..., counts=False)`` per layer, reading only the shares;
* ``networkx``: ``multi_source_dijkstra_path_length`` per layer (k-d tree snap);
* ``pandana``: ``nearest_pois`` per layer, when an interpreter with pandana is
  given (``--pandana-python``, e.g. a venv with ``pip install pandana``);
  skipped with a line otherwise. Its contraction-hierarchy build on the
  200k-node grid takes minutes, so it runs once (any method slower than
  ``SLOW_S`` does).

Facilities sit on network nodes, so every method measures the same thing and
the shares must agree (printed). ``--scale`` adds the tianhe-geo job and the
scipy script at 100 k / 1 M / 5 M residents (per-million slopes). ``--dask``
streams the job with ``coverage_to_parquet`` from GeoParquet files of 4 and
of 16 partitions (peak memory should follow the partition size). The straight-line part
compares ``coverage_many(StraightLine())`` with a bare ``cKDTree.query`` for a
dense (5,000) and a sparse (60) facility layer, in one process, and with the
plain-scipy limit for shares: the query bounded at the largest radius.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()

CRS = "EPSG:4547"
SPAN = 11_700.0  # metres: a square of about 137 km2
RADII = (300.0, 500.0, 1000.0)
LAYERS = {"l60": 60, "l200": 200, "l500": 500, "l800": 800}
MAX_SNAP = 200.0
ORIGIN = (500_000.0, 2_550_000.0)  # metres, EPSG:4547


def make_data(folder: Path, n_res: int, n_nodes: int, seed: int = 42) -> None:
    """Write the job's arrays: network nodes and edges, residents, facility layers."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n_nodes))
    step = SPAN / side
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([ii.ravel(), jj.ravel()]) * step
    xy += rng.normal(0, step * 0.15, xy.shape) + ORIGIN
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.1
    u, v = u[keep], v[keep]
    n = side * side
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    main = np.flatnonzero(labels == np.bincount(labels).argmax())
    res_xy = rng.uniform(0, SPAN, (n_res, 2)) + ORIGIN
    pop = rng.integers(1, 8, n_res).astype(float)
    layers = {k: xy[rng.choice(main, m, replace=False)] for k, m in LAYERS.items()}
    np.savez(folder / "job.npz", xy=xy, u=u, v=v, res_xy=res_xy, pop=pop, **layers)


def _load(folder: Path):
    import numpy as np

    with np.load(folder / "job.npz") as z:
        return {k: z[k] for k in z.files}


def _shares(pop, metres) -> list[float]:
    """Shares within each radius of the persons whose distance is known (NaN: unknown)."""
    import numpy as np

    # Dot products with the flags: numpy's fastest weighted sum (sum(where=) is ~12x slower);
    # the known total costs one pass only when some distance is unknown.
    unknown = np.isnan(metres)
    total = pop @ (~unknown).astype(float) if unknown.any() else pop.sum()
    return [float(pop @ (metres <= t).astype(float) / total) for t in RADII]


def run_arrays(folder: Path) -> dict:
    import numpy  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401

    data = _load(folder)
    return {"shares": {}, "n": len(data["pop"])}


def run_imports(folder: Path) -> dict:
    """tianhe-geo's imports (numpy, scipy, pandas, geopandas, pyproj) and the arrays alone:
    the fixed cost its tables carry, before any analysis."""
    import tianhe_geo as tg

    tg.coverage_many, tg.from_edges  # noqa: B018 (the lazy names, imported)
    data = _load(folder)
    return {"shares": {}, "n": len(data["pop"])}


def run_scipy(folder: Path) -> dict:
    """The plain script: snap once, one min-only multi-source pass per layer."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra
    from scipy.spatial import cKDTree

    d = _load(folder)
    xy, u, v = d["xy"], d["u"], d["v"]
    n = len(xy)
    w = np.hypot(*(xy[u] - xy[v]).T)
    m = coo_matrix((w, (u, v)), shape=(n, n)).tocsr()  # grid: no parallel edges
    _, labels = connected_components(m, directed=False)
    main = np.flatnonzero(labels == np.bincount(labels).argmax())
    tree = cKDTree(xy[main])
    snap_d, snap_i = tree.query(d["res_xy"], k=1, workers=-1)
    node = main[snap_i]
    ok = snap_d <= MAX_SNAP
    shares = {}
    for name in LAYERS:
        src = main[tree.query(d[name], k=1)[1]]
        dist = dijkstra(m, directed=False, indices=np.unique(src), min_only=True, limit=1000.0)
        metres = np.where(ok, dist[node] + snap_d, np.nan)
        shares[name] = _shares(d["pop"], metres)
    return {"shares": shares}


def run_tianhe(folder: Path) -> dict:
    """The public API on coordinates: from_edges, then coverage_many(xy, population=, crs=)."""
    import tianhe_geo as tg

    d = _load(folder)
    net = tg.from_edges(range(len(d["xy"])), d["xy"], d["u"], d["v"], CRS)
    layers = {k: d[k] for k in LAYERS}
    table = tg.coverage_many(
        d["res_xy"],
        layers,
        RADII,
        distance=tg.OnNetwork(net, MAX_SNAP),
        population=d["pop"],
        crs=CRS,
    )
    district = table[table["group"] == "district"]
    return {
        "shares": {k: district[district.layer == k]["share"].tolist() for k in LAYERS},
    }


def run_gdf_floor(folder: Path) -> dict:
    """Imports, the arrays and the GeoDataFrames of shapely points alone (the floor of a
    user whose residents are a GeoDataFrame: what tianhe_gdf costs before any analysis)."""
    import geopandas as gpd

    d = _load(folder)
    res = gpd.GeoDataFrame(
        {"population": d["pop"]}, geometry=gpd.points_from_xy(*d["res_xy"].T), crs=CRS
    )
    layers = {k: gpd.GeoDataFrame(geometry=gpd.points_from_xy(*d[k].T), crs=CRS) for k in LAYERS}
    return {"shares": {}, "n": len(res) + sum(map(len, layers.values()))}


def run_tianhe_gdf(folder: Path) -> dict:
    """The public API on GeoDataFrames: from_edges, then coverage_many on the network."""
    import geopandas as gpd

    import tianhe_geo as tg

    d = _load(folder)
    net = tg.from_edges(range(len(d["xy"])), d["xy"], d["u"], d["v"], CRS)
    res = gpd.GeoDataFrame(
        {"population": d["pop"]}, geometry=gpd.points_from_xy(*d["res_xy"].T), crs=CRS
    )
    layers = {k: gpd.GeoDataFrame(geometry=gpd.points_from_xy(*d[k].T), crs=CRS) for k in LAYERS}
    table = tg.coverage_many(res, layers, RADII, distance=tg.OnNetwork(net, MAX_SNAP))
    district = table[table["group"] == "district"]
    return {
        "shares": {k: district[district.layer == k]["share"].tolist() for k in LAYERS},
    }


def run_tianhe_loop(folder: Path) -> dict:
    """The public API one layer at a time: coverage(counts=False), shares only."""
    import geopandas as gpd

    import tianhe_geo as tg

    d = _load(folder)
    net = tg.from_edges(range(len(d["xy"])), d["xy"], d["u"], d["v"], CRS)
    res = gpd.GeoDataFrame(
        {"population": d["pop"]}, geometry=gpd.points_from_xy(*d["res_xy"].T), crs=CRS
    )
    shares = {}
    for k in LAYERS:
        fac = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*d[k].T), crs=CRS)
        out = tg.coverage(res, fac, RADII, distance=tg.OnNetwork(net, MAX_SNAP), counts=False)
        shares[k] = [float(out.share(t)["district"]) for t in RADII]
    return {"shares": shares}


def run_networkx(folder: Path) -> dict:
    import networkx as nx
    import numpy as np
    from scipy.spatial import cKDTree

    d = _load(folder)
    xy, u, v = d["xy"], d["u"], d["v"]
    w = np.hypot(*(xy[u] - xy[v]).T)
    g = nx.Graph()
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    main = np.fromiter(max(nx.connected_components(g), key=len), dtype=np.intp)
    tree = cKDTree(xy[main])
    snap_d, snap_i = tree.query(d["res_xy"], k=1, workers=-1)
    node = main[snap_i]
    ok = snap_d <= MAX_SNAP
    shares = {}
    for name in LAYERS:
        src = set(main[tree.query(d[name], k=1)[1]].tolist())
        length = nx.multi_source_dijkstra_path_length(g, src, cutoff=1000.0)
        per_node = np.full(len(xy), np.inf)
        per_node[np.fromiter(length.keys(), dtype=np.intp)] = np.fromiter(length.values(), float)
        shares[name] = _shares(d["pop"], np.where(ok, per_node[node] + snap_d, np.nan))
    return {"shares": shares}


def run_pandana(folder: Path) -> dict:
    import numpy as np
    import pandana
    import pandas as pd

    d = _load(folder)
    xy, u, v = d["xy"], d["u"], d["v"]
    w = np.hypot(*(xy[u] - xy[v]).T)
    nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    edges = pd.DataFrame({"from": u, "to": v, "w": w})
    net = pandana.Network(nodes.x, nodes.y, edges["from"], edges["to"], edges[["w"]], twoway=True)
    node = net.get_node_ids(d["res_xy"][:, 0], d["res_xy"][:, 1]).to_numpy()
    snap_d = np.hypot(*(d["res_xy"] - xy[node]).T)
    shares = {}
    for name in LAYERS:
        net.set_pois(name, 1000.0, 1, d[name][:, 0], d[name][:, 1])
        near = net.nearest_pois(1000.0, name, num_pois=1)[1].to_numpy()
        # pandana gives the search distance itself for "none in range" (a trap): drop it.
        near = np.where(near >= 1000.0, np.inf, near)
        metres = np.where(snap_d <= MAX_SNAP, near[node] + snap_d, np.nan)
        shares[name] = _shares(d["pop"], metres)
    return {"shares": shares}


def write_partitions(folder: Path, counts: tuple[int, ...]) -> None:
    """The job's residents as GeoParquet datasets of ``counts`` partitions each."""
    import dask_geopandas
    import geopandas as gpd

    d = _load(folder)
    res = gpd.GeoDataFrame(
        {"population": d["pop"]}, geometry=gpd.points_from_xy(*d["res_xy"].T), crs=CRS
    )
    for n in counts:
        dask_geopandas.from_geopandas(res, npartitions=n).to_parquet(folder / f"res_{n}")


def _run_dask(folder: Path, n_parts: int) -> dict:
    """coverage_to_parquet on the network over ``n_parts`` GeoParquet partitions."""
    import shutil

    import dask
    import dask_geopandas
    import geopandas as gpd

    import tianhe_geo as tg

    d = _load(folder)
    net = tg.from_edges(range(len(d["xy"])), d["xy"], d["u"], d["v"], CRS)
    layers = {k: gpd.GeoDataFrame(geometry=gpd.points_from_xy(*d[k].T), crs=CRS) for k in LAYERS}
    res = dask_geopandas.read_parquet(folder / f"res_{n_parts}")
    out = folder / f"out_{n_parts}"
    shutil.rmtree(out, ignore_errors=True)
    with dask.config.set(scheduler="threads", num_workers=2):
        table = tg.coverage_to_parquet(
            res, layers, RADII, out, distance=tg.OnNetwork(net, MAX_SNAP)
        )
    district = table[table["group"] == "district"]
    return {"shares": {k: district[district.layer == k]["share"].tolist() for k in LAYERS}}


def run_dask4(folder: Path) -> dict:
    return _run_dask(folder, 4)


def run_dask16(folder: Path) -> dict:
    return _run_dask(folder, 16)


METHODS = {
    "arrays": run_arrays,
    "imports": run_imports,
    "scipy": run_scipy,
    "tianhe": run_tianhe,
    "gdf_floor": run_gdf_floor,
    "tianhe_gdf": run_tianhe_gdf,
    "tianhe_loop": run_tianhe_loop,
    "networkx": run_networkx,
    "pandana": run_pandana,
    "dask4": run_dask4,
    "dask16": run_dask16,
}


#: The whole-job methods run side by side (pandana is added when its interpreter is given).
WHOLE_JOB = (
    "arrays", "imports", "scipy", "tianhe", "gdf_floor", "tianhe_gdf", "tianhe_loop", "networkx",
)  # fmt: skip


def peak_mb() -> float:
    """This process's peak resident memory, MB.

    ``VmHWM`` of the process's own address space: ``getrusage``'s ``ru_maxrss``
    survives ``exec`` on Linux, so a child would report the parent's peak
    whenever the parent was larger (it is, after writing a large data set).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(method: str, folder: Path) -> None:
    out = METHODS[method](folder)
    out["seconds"] = time.perf_counter() - START
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))


def spawn(method: str, folder: Path, python: str, timeout: float = 240.0) -> dict:
    t = time.perf_counter()
    cmd = [python, __file__, "--child", method, "--data", str(folder)]
    # Bytecode caches as on a user's machine: a sandbox that sets PYTHONDONTWRITEBYTECODE
    # makes an editable install recompile its own modules in every run (~35 ms here).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, check=False, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s (stopped)"}
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - t  # including interpreter start-up
    return out


#: A method whose first run takes longer than this (seconds) is not run again: one
#: run of pandana's contraction-hierarchy build on the 200k-node grid takes minutes.
SLOW_S = 60.0

#: Longest wait for one run, seconds (pandana: its build alone took 5-6 minutes here).
TIMEOUT_S = {"pandana": 1500.0}


def whole_jobs(folder: Path, methods: dict[str, str], repeat: int) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for _ in range(repeat):
        for m, python in methods.items():  # alternating: A B C A B C
            if runs[m] and ("error" in runs[m][0] or runs[m][0]["wall"] > SLOW_S):
                continue  # failed, or so slow that one run tells: not run again
            runs[m].append(spawn(m, folder, python, TIMEOUT_S.get(m, 240.0)))
    return runs


def report(runs: dict[str, list[dict]], ref: str = "scipy") -> None:
    import numpy as np

    def med(m, key):
        return float(np.median([r[key] for r in runs[m]]))

    ok = {m: rs for m, rs in runs.items() if rs and "error" not in rs[0]}
    base = med(ref, "wall") if ref in ok else float("nan")
    ref_shares = ok[ref][0]["shares"] if ref in ok else {}
    print(
        f"{'method':14s}{'seconds':>9s}{'peak MB':>9s}{'x ' + ref:>9s}{'runs':>5s}"
        f"  max |share - {ref}|"
    )
    for m, rs in runs.items():
        if m not in ok:
            print(f"{m:14s}  failed: {rs[0].get('error') if rs else 'not run'}")
            continue
        diff = max(
            (
                abs(a - b)
                for k, v in rs[0]["shares"].items()
                for a, b in zip(v, ref_shares[k], strict=False)
            ),
            default=float("nan"),
        )
        print(
            f"{m:14s}{med(m, 'wall'):9.2f}{med(m, 'peak_mb'):9.0f}"
            f"{med(m, 'wall') / base:9.2f}{len(rs):5d}  {diff:.2e}"
        )
    if {"arrays", "imports", "tianhe", ref} <= set(ok):
        # Each above its own fixed floor: the analysis against the script's work alone.
        mine = med("tianhe", "wall") - med("imports", "wall")
        theirs = med(ref, "wall") - med("arrays", "wall")
        print(
            f"above their imports: tianhe {mine:.2f} s, {ref} {theirs:.2f} s "
            f"(x{mine / theirs:.2f}); the imports' fixed cost "
            f"{med('imports', 'wall') - med('arrays', 'wall'):.2f} s"
        )


def straight_line(n_res: int, repeat: int) -> None:
    """coverage_many by straight line vs a bare cKDTree.query, dense and sparse layers."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from scipy.spatial import cKDTree

    import tianhe_geo as tg

    rng = np.random.default_rng(1)
    res_xy = rng.uniform(0, SPAN, (n_res, 2)) + 500_000
    pop = rng.integers(1, 8, n_res).astype(float)
    res = gpd.GeoDataFrame({"population": pop}, geometry=gpd.points_from_xy(*res_xy.T), crs=CRS)
    print(
        f"straight line, {n_res:,} residents, radii {RADII} m (medians of interleaved calls, "
        f"at least {repeat} each, in rotated order)"
    )
    reach = tg.Reach.prepare(res)
    for n_fac in (5000, 60):
        f_xy = rng.uniform(0, SPAN, (n_fac, 2)) + 500_000
        fac = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*f_xy.T), crs=CRS)

        def bare(f_xy=f_xy):
            dist, _ = cKDTree(f_xy).query(res_xy, k=1, workers=-1)
            return _shares(pop, dist)

        def bounded(f_xy=f_xy):
            limit = np.nextafter(RADII[-1], np.inf)
            dist, _ = cKDTree(f_xy).query(res_xy, k=1, workers=-1, distance_upper_bound=limit)
            return _shares(pop, dist)

        def from_frame(f_xy=f_xy):
            # The same query for a scipy user holding the frame: its points read first.
            xy = shapely.get_coordinates(res.geometry.values)
            dist, _ = cKDTree(f_xy).query(xy, k=1, workers=-1)
            return _shares(pop, dist)

        def package(fac=fac):
            return tg.coverage_many(res, {"f": fac}, RADII)

        def arrays(f_xy=f_xy):
            return tg.coverage_many(res_xy, {"f": f_xy}, RADII, population=pop, crs=CRS)

        def prepared(fac=fac):
            out = reach.coverage(fac, RADII)
            return [out.share(t)["district"] for t in RADII]

        fns = {
            "bare": bare, "bounded": bounded, "frame": from_frame,
            "pkg": package, "xy": arrays, "reach": prepared,
        }  # fmt: skip
        times: dict[str, list[float]] = {k: [] for k in fns}
        keys = list(fns)
        rounds = -(-repeat // len(keys)) * len(keys)  # whole rotations: each place as often
        for i in range(rounds):
            # Rotated each round: a call timed right after another's million-row
            # arrays are freed pays for fresh pages, and no method should always be that one.
            for k in keys[i % len(keys) :] + keys[: i % len(keys)]:
                t = time.perf_counter()
                fns[k]()
                times[k].append(time.perf_counter() - t)
        b, lim, f, p, x, r = (float(np.median(times[k])) for k in fns)
        same = np.allclose(bare(), package().query("group == 'district'")["share"], atol=1e-12)
        same &= np.allclose(bare(), arrays().query("group == 'district'")["share"], atol=1e-12)
        same &= np.allclose(bare(), bounded(), atol=1e-12)
        same &= np.allclose(bare(), from_frame(), atol=1e-12)
        print(
            f"  {n_fac:5d} facilities: cKDTree.query + shares {b:.3f} s (bounded at "
            f"{RADII[-1]:g} m: {lim:.3f} s; reading the frame's points first: {f:.3f} s); "
            f"shares equal: {same}\n"
            f"    coverage_many from the frame {p:.3f} s: x{p / b:.2f} of the query "
            f"(x{p / lim:.2f} of bounded), x{p / f:.2f} of the query reading the same frame\n"
            f"    coverage_many on coordinates {x:.3f} s: x{x / b:.2f} (x{x / lim:.2f})\n"
            f"    Reach.coverage on prepared residents {r:.3f} s: x{r / b:.2f} (x{r / lim:.2f})"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", choices=list(METHODS))
    p.add_argument("--data", type=Path)
    p.add_argument("--small", action="store_true", help="100k residents, 20k nodes, 2 repeats")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="every part at a toy size, once (the tests run it: shares must agree, not times)",
    )
    p.add_argument("--repeat", type=int, default=4)
    p.add_argument("--scale", action="store_true", help="tianhe at 100k / 1M / 5M residents")
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    p.add_argument("--scale-only", action="store_true", help="only the --scale part")
    p.add_argument("--pandana-python", default=os.environ.get("PANDANA_PYTHON"))
    p.add_argument("--straight-only", action="store_true", help="only the straight-line part")
    p.add_argument("--dask", action="store_true", help="only streaming: 4 vs 16 partitions")
    p.add_argument("--residents", type=int, help="residents (default 1M, 100k with --small)")
    a = p.parse_args()
    if a.child:
        child(a.child, a.data)
        return
    if a.smoke:
        smoke()
        return
    n_res, n_nodes, repeat = (100_000, 20_000, 2) if a.small else (1_000_000, 200_000, a.repeat)
    n_res = a.residents or n_res
    if a.straight_only:
        straight_line(n_res, max(repeat, 3))
        return
    if a.dask:
        dask_partitions(n_res, n_nodes, repeat)
        return
    if a.scale_only:
        with tempfile.TemporaryDirectory() as tmp:
            scale(Path(tmp), n_nodes, repeat, tuple(a.sizes))
        return
    methods = dict.fromkeys(WHOLE_JOB, sys.executable)
    if a.pandana_python:
        methods["pandana"] = a.pandana_python
    else:
        print("pandana: skipped (give --pandana-python PYTHON: an interpreter with pandana)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_data(folder, n_res, n_nodes)
        print(
            f"whole job: {n_res:,} weighted residents, {n_nodes:,}-node network, layers "
            f"{list(LAYERS.values())}, radii {RADII} m; medians of {repeat} alternating processes"
        )
        report(whole_jobs(folder, methods, repeat))
        if a.scale:
            scale(folder, n_nodes, repeat, tuple(a.sizes))
    straight_line(n_res, max(repeat, 3))


def smoke() -> None:
    """Every part once at a toy size: the methods must agree; the times mean nothing."""
    n_res, n_nodes = 5_000, 2_500
    methods = dict.fromkeys(WHOLE_JOB, sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_data(folder, n_res, n_nodes)
        report(whole_jobs(folder, methods, 1))
        scale(folder, n_nodes, 1, (2_000, 4_000))
        write_partitions(folder, (4, 16))
        # The streaming runs against the in-memory job (same data, same shares).
        runs = whole_jobs(folder, dict.fromkeys(["scipy", "dask4", "dask16"], sys.executable), 1)
        report(runs)
    straight_line(n_res, 1)


def dask_partitions(n_res: int, n_nodes: int, repeat: int) -> None:
    """Streaming on dask: peak memory for 4 vs 16 GeoParquet partitions (alternating processes)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_data(folder, n_res, n_nodes)
        write_partitions(folder, (4, 16))
        methods = dict.fromkeys(["arrays", "dask4", "dask16"], sys.executable)
        print(
            f"streaming (coverage_to_parquet, network, threads scheduler with 2 workers): "
            f"{n_res:,} residents read from GeoParquet, layers {list(LAYERS.values())}, radii "
            f"{RADII} m; medians of {repeat} alternating processes (shares vs dask4)"
        )
        report(whole_jobs(folder, methods, repeat), ref="dask4")


def scale(folder: Path, n_nodes: int, repeat: int, sizes: tuple[int, ...]) -> None:
    """The network job at several resident counts: seconds and MB, and per million beyond the floor."""
    import numpy as np

    print(f"scaling, the network job on coordinates (medians of {repeat} alternating processes):")
    last: tuple[int, float, float, float, float] | None = None
    for n_res in sizes:
        make_data(folder, n_res, n_nodes)
        methods = dict.fromkeys(["arrays", "imports", "scipy", "tianhe"], sys.executable)
        runs = whole_jobs(folder, methods, repeat)
        if any("error" in r for rs in runs.values() for r in rs):
            print(f"  {n_res:>9,} residents: failed {runs}")
            continue
        (b_s, b_mb), (i_s, _), (c_s, c_mb), (s, mb) = (
            (
                float(np.median([r["wall"] for r in runs[m]])),
                float(np.median([r["peak_mb"] for r in runs[m]])),
            )
            for m in ("arrays", "imports", "scipy", "tianhe")
        )
        print(
            f"  {n_res:>9,} residents: tianhe {s:6.2f} s {mb:5.0f} MB, scipy {c_s:6.2f} s "
            f"{c_mb:5.0f} MB (x{s / c_s:.2f}; above their imports x"
            f"{(s - i_s) / (c_s - b_s):.2f}), arrays {b_s:5.2f} s {b_mb:5.0f} MB"
        )
        if last is not None:  # the slope: what one more million residents costs
            per = 1e6 / (n_res - last[0])
            print(
                f"    per million from {last[0]:,}: tianhe {(s - last[1]) * per:5.2f} s "
                f"{(mb - last[2]) * per:4.0f} MB, scipy {(c_s - last[3]) * per:5.2f} s "
                f"{(c_mb - last[4]) * per:4.0f} MB"
            )
        last = (n_res, s, mb, c_s, c_mb)


if __name__ == "__main__":
    main()
