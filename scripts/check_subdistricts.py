"""Check the subdistrict seeds and polygons against independent reference points.

The reference is ``data/geo/sources/subdistrict_reference.csv``: one row per
(subdistrict, source) with a published centre/label point of that 街道, already
converted to WGS-84 (``datum_of_source`` says what the source published; GCJ-02
rows were converted with ``tianhe_geo.foundation.crs.gcj02_to_wgs84``). The sources and the
datum tests are described in ``data/geo/sources/subdistricts.md``.

For every reference row this computes, in metres (EPSG:4547):

* the distance from our seed point (``subdistrict_seeds.csv``) to the
  reference point, and
* whether the reference point lies inside OUR polygon for the same code (and
  which polygon it lies in otherwise).

Reference points are centres or map-label positions, not surveyed offices, so
a distance of a few hundred metres is expected noise. ``strong_evidence`` applies
the rule used to move seeds. Clause "pair": two references from different
sources that agree with each other within ``AGREE_M`` and are both farther
than ``MOVE_M`` from our seed. Clause "all": references from at least two
sources that are all farther than ``MOVE_M`` from our seed and closer to each
other than any of them is to the seed (the seed lies outside their cluster).
It reports what the rule says; it moves nothing.

Run (exits 1 if the rule still flags a subdistrict)::

    PYTHONPATH=src python scripts/check_subdistricts.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import tianhe_geo

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "geo" / "sources" / "subdistrict_reference.csv"
SEEDS = ROOT / "data" / "geo" / "sources" / "subdistrict_seeds.csv"
METRIC_CRS = "EPSG:4547"  # CGCS2000 / 3-degree GK CM 114E, metres
AGREE_M = 500.0  # two references "agree" if they are this close to each other
MOVE_M = 700.0  # ... and a seed is "contradicted" if every one is farther than this
DATUMS = {"WGS-84", "GCJ-02", "BD-09"}
COLUMNS = ["code", "name_zh", "lon", "lat", "datum_of_source", "source", "note"]


def load_reference(path: str | Path = REFERENCE) -> pd.DataFrame:
    """Read the reference CSV (codes stay strings; lon/lat are WGS-84)."""
    ref = pd.read_csv(path, dtype={"code": str})
    missing = [c for c in COLUMNS if c not in ref.columns]
    if missing:
        msg = f"{path}: missing columns {missing}"
        raise ValueError(msg)
    bad = sorted(set(ref["datum_of_source"]) - DATUMS)
    if bad:
        msg = f"{path}: unknown datum_of_source {bad}"
        raise ValueError(msg)
    return ref


def load_seeds(path: str | Path = SEEDS) -> pd.DataFrame:
    """Read the seed CSV used by ``scripts/build_subdistricts.py``."""
    return pd.read_csv(path, dtype={"code": str})


def _metric_points(lon, lat) -> gpd.GeoSeries:
    pts = gpd.GeoSeries.from_xy(np.asarray(lon, float), np.asarray(lat, float), crs="EPSG:4326")
    return pts.to_crs(METRIC_CRS)


def check(layer: gpd.GeoDataFrame, seeds: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """One row per reference point: distance to our seed and polygon membership.

    Parameters
    ----------
    layer : GeoDataFrame
        The subdistricts layer (``code`` column, any CRS with a definition).
    seeds : DataFrame
        ``code``, ``lon``, ``lat`` (WGS-84) of our seed points.
    reference : DataFrame
        As returned by :func:`load_reference`.

    Returns
    -------
    DataFrame
        ``code, name_zh, source, datum_of_source, distance_m, inside_own,
        containing_code`` (``containing_code`` is the code of our polygon that
        holds the reference point, or ``None`` if it is outside every polygon).
    """
    unknown = sorted(set(reference["code"]) - set(seeds["code"]))
    if unknown:
        msg = f"reference codes without a seed: {unknown}"
        raise ValueError(msg)
    seed_pts = dict(zip(seeds["code"], _metric_points(seeds["lon"], seeds["lat"]), strict=True))
    ref_pts = _metric_points(reference["lon"], reference["lat"])
    polys = layer.to_crs(METRIC_CRS)
    hits = gpd.sjoin(
        gpd.GeoDataFrame({"i": range(len(ref_pts))}, geometry=list(ref_pts), crs=METRIC_CRS),
        polys[["code", "geometry"]],
        how="left",
        predicate="within",
    ).drop_duplicates("i")
    containing = hits.set_index("i")["code"].reindex(range(len(ref_pts)))
    out = pd.DataFrame(
        {
            "code": reference["code"].to_numpy(),
            "name_zh": reference["name_zh"].to_numpy(),
            "source": reference["source"].to_numpy(),
            "datum_of_source": reference["datum_of_source"].to_numpy(),
            "distance_m": [
                p.distance(seed_pts[c]) for p, c in zip(ref_pts, reference["code"], strict=True)
            ],
        }
    )
    out["containing_code"] = pd.Series(
        [None if pd.isna(c) else str(c) for c in containing.to_numpy()], dtype=object
    )
    out["inside_own"] = out["containing_code"] == out["code"]
    return out


def per_subdistrict(table: pd.DataFrame) -> pd.DataFrame:
    """Per code: number of references, nearest/farthest distance, all inside?"""
    g = table.groupby(["code", "name_zh"], sort=True)
    return pd.DataFrame(
        {
            "n_refs": g.size(),
            "min_m": g["distance_m"].min(),
            "max_m": g["distance_m"].max(),
            "n_inside_own": g["inside_own"].sum(),
        }
    ).reset_index()


def summarize(table: pd.DataFrame) -> dict:
    """Median and max seed-to-reference distance; reference points in the right polygon."""
    d = table["distance_m"].to_numpy()
    return {
        "n": len(table),
        "n_subdistricts": table["code"].nunique(),
        "median_m": float(np.median(d)),
        "max_m": float(d.max()),
        "n_inside_own": int(table["inside_own"].sum()),
    }


def strong_evidence(
    table: pd.DataFrame,
    reference: pd.DataFrame,
    agree_m: float = AGREE_M,
    move_m: float = MOVE_M,
) -> pd.DataFrame:
    """Subdistricts whose seed the references contradict under the move rule.

    Clause ``pair``: two references from different sources lie within
    ``agree_m`` of each other and both lie farther than ``move_m`` from our
    seed. Clause ``all`` (checked when no pair qualifies): the code's
    references come from at least two sources, all lie farther than ``move_m``
    from the seed, and the largest distance between two of them is smaller
    than the smallest distance to the seed.

    Returns
    -------
    DataFrame
        ``code, clause, sources, pair_m, min_seed_m, lon, lat``: ``pair_m`` is
        the distance within the pair (clause ``all``: the largest distance
        between two references), ``lon, lat`` the mean of those references,
        the position the rule points to.
    """
    pts = _metric_points(reference["lon"], reference["lat"])
    rows = []
    for code, idx in table.groupby("code").groups.items():
        found = len(rows)
        for i, j in itertools.combinations(idx, 2):
            if reference.at[i, "source"] == reference.at[j, "source"]:
                continue
            pair = pts.iloc[i].distance(pts.iloc[j])
            seed_d = min(table.at[i, "distance_m"], table.at[j, "distance_m"])
            if pair <= agree_m and seed_d > move_m:
                rows.append(
                    {
                        "code": code,
                        "clause": "pair",
                        "sources": f"{reference.at[i, 'source']} + {reference.at[j, 'source']}",
                        "pair_m": pair,
                        "min_seed_m": seed_d,
                        "lon": (reference.at[i, "lon"] + reference.at[j, "lon"]) / 2,
                        "lat": (reference.at[i, "lat"] + reference.at[j, "lat"]) / 2,
                    }
                )
        if len(rows) == found:
            row = _outside_cluster(code, list(idx), table, reference, pts, move_m)
            if row is not None:
                rows.append(row)
    cols = ["code", "clause", "sources", "pair_m", "min_seed_m", "lon", "lat"]
    return pd.DataFrame(rows, columns=cols)


def _outside_cluster(code, idx, table, reference, pts, move_m) -> dict | None:
    """Clause "all" of the move rule for one code (see :func:`strong_evidence`)."""
    sources = sorted(set(reference.loc[idx, "source"]))
    if len(sources) < 2:
        return None
    spread = max(pts.iloc[i].distance(pts.iloc[j]) for i, j in itertools.combinations(idx, 2))
    seed_d = float(table.loc[idx, "distance_m"].min())
    if seed_d <= move_m or seed_d <= spread:
        return None
    return {
        "code": code,
        "clause": "all",
        "sources": " + ".join(sources),
        "pair_m": spread,
        "min_seed_m": seed_d,
        "lon": float(reference.loc[idx, "lon"].mean()),
        "lat": float(reference.loc[idx, "lat"].mean()),
    }


def main() -> int:
    """Print the per-reference table, the per-subdistrict table and the summary."""
    reference = load_reference()
    table = check(tianhe_geo.load_layer("subdistricts"), load_seeds(), reference)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(table.round({"distance_m": 0}).to_string(index=False))
        print()
        print(per_subdistrict(table).round(0).to_string(index=False))
    s = summarize(table)
    print(
        f"\n{s['n']} reference points for {s['n_subdistricts']} subdistricts: "
        f"seed distance median {s['median_m']:.0f} m, max {s['max_m']:.0f} m; "
        f"{s['n_inside_own']}/{s['n']} inside the polygon of their own subdistrict"
    )
    for source, sub in table.groupby("source"):
        print(
            f"  {source}: n={len(sub)}, median {sub['distance_m'].median():.0f} m, "
            f"inside own {int(sub['inside_own'].sum())}/{len(sub)}"
        )
    flagged = strong_evidence(table, reference)
    if len(flagged):
        print("\nSeeds contradicted by the references (move rule):")
        print(flagged.round({"pair_m": 0, "min_seed_m": 0, "lon": 4, "lat": 4}).to_string())
        return 1
    print("\nNo seed is contradicted by the references (move rule, both clauses).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
