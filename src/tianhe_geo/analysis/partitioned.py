"""The same coverage analysis on a partitioned frame, with dask-geopandas.

For residents that outgrow one machine's memory (building points of a whole
city, a fine WorldPop grid), partition them with dask-geopandas and run the
same straight-line coverage per partition: facilities are small and are sent
whole to every partition, so each resident's answer is exactly the one
:func:`tianhe_geo.analysis.coverage.coverage` gives. Needs ``pip install 'tianhe-geo[scale]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from ._inputs import check_thresholds
from .coverage import coverage, summarise
from .distance import StraightLine


def coverage_partitioned(
    residents: Any,
    facilities: gpd.GeoDataFrame,
    thresholds: float | Sequence[float],
    population: str = "population",
    group: str | None = None,
    detour_factor: float = 1.0,
    counts: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage of a dask-geopandas frame of residents, partition by partition.

    Parameters
    ----------
    residents : dask_geopandas.GeoDataFrame
        Residents (points or cells) with a population column, projected CRS.
    facilities : geopandas.GeoDataFrame
        Facilities in the same CRS (in memory).
    thresholds : float or sequence of float
        Walking distances in metres.
    population : str, default "population"
        Column of persons.
    group : str, optional
        Column to summarise by.
    detour_factor : float, default 1.0
        Multiplier applied to straight-line metres.
    counts : bool, default True
        Count facilities within each threshold.

    Returns
    -------
    per_resident : pandas.DataFrame
        As ``CoverageResult.residents``, for every resident.
    summary : pandas.DataFrame
        As ``CoverageResult.summary``.
    """
    ts = check_thresholds(thresholds)

    def one(part: gpd.GeoDataFrame) -> pd.DataFrame:
        if len(part) == 0:
            return _empty(ts, counts)
        distance = StraightLine(detour_factor)
        out = coverage(
            part, facilities, ts, distance=distance, population=population, counts=counts
        )
        return out.residents

    per = residents.map_partitions(one, meta=_empty(ts, counts)).compute()
    keep = [population] + ([group] if group else [])
    attrs = pd.DataFrame(residents[keep].compute())
    summary = summarise(per, attrs[population], ts, attrs[group] if group else None)
    return per, summary


def _empty(ts: tuple[float, ...], counts: bool) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {
        "nearest_id": pd.Series(dtype=object),
        "nearest_m": pd.Series(dtype=float),
    }
    for t in ts:
        if counts:
            cols[f"n_within_{t:g}"] = pd.Series(dtype="int64")
        cols[f"covered_{t:g}"] = pd.Series(dtype=bool)
    return pd.DataFrame(cols)
