"""Supply and demand: the two-step floating catchment (2SFCA).

Step 1: each facility's supply (doctors, beds) is divided by the population
within its catchment. Step 2: each resident sums the ratios of the
facilities within the same catchment. Works on any long cost table, so
straight-line and network catchments behave the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.errors import AnalysisInputError


def two_step_fca(
    table: pd.DataFrame,
    population: pd.Series,
    supply: pd.Series,
    catchment_m: float,
    per: float = 1000.0,
) -> pd.Series:
    """Accessibility score per resident: supply per ``per`` residents in reach.

    Parameters
    ----------
    table : pandas.DataFrame
        Long cost table (``origin_id``, ``destination_id``, ``cost_m``).
    population : pandas.Series
        Persons per resident row (index = origin ids).
    supply : pandas.Series
        Capacity per facility (index = destination ids), e.g. doctors;
        missing values count as zero.
    catchment_m : float
        Catchment radius in metres (inclusive).
    per : float, default 1000
        Express the score per this many residents.

    Returns
    -------
    pandas.Series
        Score per resident (e.g. doctors per 1,000 residents), indexed like
        ``population``; 0 where no facility is in reach.
    """
    if not np.isfinite(catchment_m) or catchment_m < 0:
        msg = f"catchment_m must be a distance >= 0 metres, got {catchment_m!r}"
        raise AnalysisInputError(msg)
    t = table[table["cost_m"] <= catchment_m]
    pop = population.astype(float)
    demand = t.assign(p=pop.reindex(t["origin_id"]).to_numpy()).groupby("destination_id")["p"].sum()
    cap = supply.astype(float).fillna(0.0)
    ratio = (cap.reindex(demand.index) / demand).where(demand > 0, 0.0).fillna(0.0)
    score = t.assign(r=ratio.reindex(t["destination_id"]).fillna(0.0).to_numpy())
    out = score.groupby("origin_id")["r"].sum().reindex(pop.index).fillna(0.0) * per
    return out.rename("score")


def weighted_mean(values: pd.Series, population: pd.Series, groups: pd.Series) -> pd.Series:
    """Population-weighted mean of ``values`` per group.

    Parameters
    ----------
    values : pandas.Series
        A score per resident row.
    population : pandas.Series
        Persons per resident row.
    groups : pandas.Series
        Group label per resident row.

    Returns
    -------
    pandas.Series
        Weighted mean per group (NaN for groups without population).
    """
    w = population.astype(float)
    # min_count: a group whose scores are all unknown stays unknown, not 0.
    num = (values * w).groupby(groups).sum(min_count=1)
    den = w.groupby(groups).sum()
    return (num / den).where(den > 0)
