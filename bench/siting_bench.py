"""Benchmark: exact park siting on the shipped Tianhe data, against a greedy heuristic.

Run: ``PYTHONPATH=src python bench/siting_bench.py [--spacing 240] [--time-limit 60]``

Residents are the shipped 100 m population cells; candidates a regular grid over the
district boundary, minus existing parks and a 25 m strip along rivers and creeks; existing
facilities are the parks, as polygons measured to their edge (as ``coverage`` does: the forest
parks are several km across and their entrances are not mapped, so a centroid would
understate their reach badly).

Cases: MCLP k=10 at 300 m, MCLP k=20 at 500 m, set covering to 90 % at 500 m. Each prints
the model size (demand rows before and after merging identical cover sets), solver status,
gap and seconds, shares before and after, and what a greedy heuristic (repeatedly add the
site adding the most uncovered persons, on the same reduced model; it is also the
solver's starting solution) reaches in how long.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from tianhe_geo.analysis.distance import StraightLine
from tianhe_geo.analysis.siting import (
    _build,
    _greedy,
    _new_groups_pop,
    candidate_grid,
    maximal_covering,
    set_covering,
)
from tianhe_geo.data.layers import load_layers
from tianhe_geo.foundation.config import DEFAULT_CONFIG
from tianhe_geo.plan.compliance import residents_in


def greedy(problem, k=None, need=np.inf):
    """The package's greedy start (most uncovered persons first), timed on its own."""
    start = time.perf_counter()
    picked = _greedy(problem, k=k, need=need)
    seconds = time.perf_counter() - start
    return len(picked), _new_groups_pop(problem, picked), seconds


def load(spacing):
    layers = load_layers()
    crs = DEFAULT_CONFIG.analysis_crs
    residents = residents_in(layers, DEFAULT_CONFIG)
    parks = layers["parks"].to_crs(crs)
    water = layers["rivers"].to_crs(crs).buffer(25)
    exclude = pd.concat([parks.geometry, water], ignore_index=True)
    boundary = layers["boundary"].to_crs(crs)
    candidates = candidate_grid(boundary, spacing, exclude=exclude)
    return residents, candidates, parks


def report(name, out, build_s, g_pop, g_sites, g_s, extra=""):
    s = out.stats
    print(f"\n== {name}")
    print(
        f"residents {s['residents']:,}; demand rows {s['demand_rows']:,} -> {s['demand_groups']:,} "
        f"after merging identical cover sets; candidates {s['candidates']:,} -> "
        f"{s['model_candidates']:,} in the model"
    )
    print(
        f"solver: {out.status}, gap {out.gap:.2e}, solve {out.solve_seconds:.2f} s "
        f"(total incl. distances and model build {build_s:.2f} s)"
    )
    print(
        f"coverage: {out.share_before:.2%} before -> {out.share_after:.2%} after "
        f"({len(out.chosen)} sites, +{out.covered_after - out.covered_before:,.0f} persons)"
    )
    print(f"greedy: {g_sites} sites, +{g_pop:,.0f} persons in {g_s * 1000:.1f} ms{extra}")


def mclp_case(residents, candidates, parks, k, t, time_limit):
    start = time.perf_counter()
    out = maximal_covering(residents, candidates, k, t, parks, time_limit_s=time_limit)
    total_s = time.perf_counter() - start
    p = _build(residents, candidates, parks, t, "population", StraightLine())
    n_sites, gained, g_s = greedy(p, k=k)
    ratio = gained / out.objective if out.objective else float("nan")
    report(
        f"MCLP k={k} at {t:g} m",
        out,
        total_s,
        gained,
        n_sites,
        g_s,
        f"; greedy / optimal new coverage = {ratio:.4f} "
        f"({out.objective - gained:,.0f} persons fewer)",
    )


def lscp_case(residents, candidates, parks, target, t, time_limit):
    start = time.perf_counter()
    out = set_covering(residents, candidates, target, t, parks, time_limit_s=time_limit)
    total_s = time.perf_counter() - start
    p = _build(residents, candidates, parks, t, "population", StraightLine())
    need = target * p.total - p.covered_before
    n_sites, gained, g_s = greedy(p, need=need)
    report(
        f"set covering to {target:.0%} at {t:g} m",
        out,
        total_s,
        gained,
        n_sites,
        g_s,
        f"; greedy needs {n_sites} sites vs {out.objective:.0f} from the solver "
        f"({'proven minimum' if out.status == 'Optimal' else 'not proven minimal'})",
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spacing", type=float, default=240.0, help="candidate spacing, metres")
    ap.add_argument("--time-limit", type=float, default=60.0, help="solver limit, seconds")
    ap.add_argument("--skip-lscp", action="store_true", help="skip set covering")
    args = ap.parse_args()
    t0 = time.perf_counter()
    residents, candidates, parks = load(args.spacing)
    print(
        f"loaded {len(residents):,} resident cells ({residents['population'].sum():,.0f} persons), "
        f"{len(parks)} parks, {len(candidates):,} candidates at {args.spacing:g} m "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    mclp_case(residents, candidates, parks, 10, 300.0, args.time_limit)
    mclp_case(residents, candidates, parks, 20, 500.0, args.time_limit)
    if not args.skip_lscp:
        lscp_case(residents, candidates, parks, 0.9, 500.0, args.time_limit)


if __name__ == "__main__":
    main()
