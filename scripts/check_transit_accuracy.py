"""Check the transit layer's station positions against OpenStreetMap.

The reference is ``data/geo/sources/transit_osm_reference.csv``: one row per
(station, line) for every station row of the layer that OpenStreetMap lists on
that line (map data (c) OpenStreetMap contributors, ODbL 1.0; extracted in
``js/geo.js`` of JamieStudio-lab/guangzhou-metro-typing @6bdc278, fetched
2026-07-14; see ``data/geo/sources/transit.md``).

For each station row the distance (metres, EPSG:4547) from our point to the OSM
point of each of its lines' platforms is measured. An interchange is one point
in our layer but one OSM point per line's platform, so a station's error is the
distance to the NEAREST of its lines' OSM points (the table also shows every
line's distance). Rows whose position was itself taken from OSM
(``independent = false``) are listed but left out of the statistics.

Targets (issue): median < 100 m and 95th percentile < 250 m. Exits 1 otherwise.

Run::

    PYTHONPATH=src python scripts/check_transit_accuracy.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import tianhe_geo

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "geo" / "sources" / "transit_osm_reference.csv"
METRIC_CRS = "EPSG:4547"  # CGCS2000 / 3-degree GK CM 114E, metres
MAX_MEDIAN_M = 100.0
MAX_P95_M = 250.0

# Operating station rows that the OSM extract does not list on any of their lines.
NOT_IN_OSM = {
    "st-meihuayuan": "only on line 3N (north extension), which the OSM extract does not include",
}


def load_reference(path: str | Path = REFERENCE) -> pd.DataFrame:
    """Read the reference CSV (line ids stay strings, ``independent`` is bool)."""
    ref = pd.read_csv(path, dtype={"station_id": str, "line": str, "independent": str})
    ref["independent"] = ref["independent"].str.lower().map({"true": True, "false": False})
    if ref["independent"].isna().any():
        msg = "column 'independent' must be true or false"
        raise ValueError(msg)
    return ref


def station_errors(layer: gpd.GeoDataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Distance from each station row to the OSM platform points of its lines.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        The transit layer (``tianhe_geo.load_layer("transit")``), any CRS.
    reference : pandas.DataFrame
        Columns ``station_id``, ``line``, ``lon``, ``lat`` (WGS-84), ``independent``.

    Returns
    -------
    pandas.DataFrame
        One row per station id found in the reference: ``station_id``,
        ``name_zh``, ``lines`` (the row's lines), ``n_lines`` (lines with an
        OSM point), ``nearest_line``, ``error_m`` (to the nearest of those OSM
        points), ``per_line`` (every line's distance) and ``independent``;
        sorted by ``error_m``, largest first.
    """
    ids = layer["id"] if "id" in layer.columns else pd.Series(layer.index, index=layer.index)
    ours = gpd.GeoSeries(layer.geometry.values, index=ids.values, crs=layer.crs).to_crs(METRIC_CRS)
    missing = sorted(set(reference["station_id"]) - set(ours.index))
    if missing:
        msg = f"reference ids not in the layer: {missing}"
        raise KeyError(msg)
    ref = reference.reset_index(drop=True)
    osm = gpd.GeoSeries.from_xy(ref["lon"], ref["lat"], crs="EPSG:4326").to_crs(METRIC_CRS)
    mine = gpd.GeoSeries(ours.loc[ref["station_id"]].values, crs=METRIC_CRS)
    per = ref.assign(dist_m=mine.distance(osm).to_numpy())
    per["label"] = per["line"] + ":" + per["dist_m"].round().astype(int).astype(str)
    best = per.loc[per.groupby("station_id", sort=False)["dist_m"].idxmin()]
    grouped = per.groupby("station_id", sort=False)
    attrs = layer.assign(_id=ids.values).set_index("_id")
    out = pd.DataFrame(
        {
            "station_id": best["station_id"].to_numpy(),
            "name_zh": attrs.loc[best["station_id"], "name_zh"].to_numpy(),
            "lines": attrs.loc[best["station_id"], "line"].to_numpy(),
            "n_lines": grouped.size().loc[best["station_id"]].to_numpy(),
            "nearest_line": best["line"].to_numpy(),
            "error_m": best["dist_m"].to_numpy(),
            "per_line": grouped["label"].agg(" ".join).loc[best["station_id"]].to_numpy(),
            # A station counts as independent only if all its reference rows are.
            "independent": grouped["independent"].all().loc[best["station_id"]].to_numpy(),
        }
    )
    return out.sort_values("error_m", ascending=False, ignore_index=True)


def summarize(errors: pd.DataFrame) -> dict[str, float]:
    """n, median, 95th percentile (linear interpolation) and max over independent rows."""
    e = errors.loc[errors["independent"], "error_m"].to_numpy()
    return {
        "n": int(e.size),
        "median_m": float(np.median(e)),
        "p95_m": float(np.percentile(e, 95)),
        "max_m": float(e.max()),
    }


def passes(summary: dict[str, float]) -> bool:
    """True when the median and the 95th percentile meet the issue's targets."""
    return summary["median_m"] < MAX_MEDIAN_M and summary["p95_m"] < MAX_P95_M


def main() -> int:
    """Print the table and the summary; return 1 if a target is missed."""
    layer = tianhe_geo.load_layer("transit")
    reference = load_reference()
    errors = station_errors(layer, reference)
    table = errors.assign(error_m=errors["error_m"].round(1))
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(table.to_string(index=False))
    print(
        "error_m = distance to the nearest OSM platform point of the row's lines; an "
        "interchange is one point in our layer, so it is compared with the nearest of its "
        "lines' platforms (per_line lists every line)."
    )
    dependent = errors.loc[~errors["independent"], "station_id"].tolist()
    print(f"not independent (position taken from OSM), left out: {dependent}")
    for sid, why in NOT_IN_OSM.items():
        print(f"not in OSM: {sid}: {why}")
    s = summarize(errors)
    print(
        f"n = {s['n']}, median = {s['median_m']:.0f} m, p95 = {s['p95_m']:.0f} m, "
        f"max = {s['max_m']:.0f} m (targets: median < {MAX_MEDIAN_M:.0f} m, "
        f"p95 < {MAX_P95_M:.0f} m)"
    )
    ok = passes(s)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
