"""Plan questions answered from the layers: coverage by standard, indicators.

This module composes layers, coverage and access; it holds no geometry
algorithms of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import AnalysisInputError
from .access import two_step_fca, weighted_mean
from .config import DEFAULT_CONFIG, STANDARDS, AnalysisConfig, Standard
from .coverage import CoverageResult, coverage, euclidean_table

#: The plan's 2025 targets (Tianhe 10th party congress report, 2021).
PLAN_TARGETS = {
    "park_m2_per_resident": (18.5, "m²/person"),
    "doctors_per_1000": (5.8, "per 1,000 residents"),
    "elderly_care_beds": (6200.0, "beds"),
    "new_public_school_places": (28000.0, "places"),
    "old_communities_renovated": (88.0, "communities"),
}
PLAN_SOURCE = "Tianhe 10th party congress report (2021), 2025 targets"


def select_facilities(
    layers: dict[str, gpd.GeoDataFrame], standard: Standard, config: AnalysisConfig
) -> gpd.GeoDataFrame:
    """Facilities counted by a standard, in metres, within the edge buffer.

    Parameters
    ----------
    layers : dict
        Loaded layers (needs ``boundary`` and ``standard.layer``).
    standard : Standard
        The rule.
    config : AnalysisConfig
        Settings (analysis CRS, facility buffer).

    Returns
    -------
    geopandas.GeoDataFrame
        Existing facilities of the standard's kinds within
        ``config.facility_buffer_m`` of the district, in the analysis CRS.
    """
    gdf = layers[standard.layer]
    chosen = gdf[gdf[standard.column].isin(standard.values)]
    if "status" in chosen.columns:
        chosen = chosen[chosen["status"].isin(["existing", "operating", "completed"])]
    chosen = chosen.to_crs(config.analysis_crs)
    area = layers["boundary"].to_crs(config.analysis_crs).union_all()
    reach = shapely.dwithin(chosen.geometry.values, area, config.facility_buffer_m)
    return chosen[reach]


def residents_in(layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig) -> gpd.GeoDataFrame:
    """The residents layer in the analysis CRS.

    Parameters
    ----------
    layers : dict
        Loaded layers with ``residents``.
    config : AnalysisConfig
        Settings.

    Returns
    -------
    geopandas.GeoDataFrame
        Residents in metres.
    """
    if "residents" not in layers:
        msg = "no residents layer loaded; load_layer('residents') or pass your own"
        raise AnalysisInputError(msg)
    return layers["residents"].to_crs(config.analysis_crs)


def run_standard(
    layers: dict[str, gpd.GeoDataFrame], key: str, config: AnalysisConfig = DEFAULT_CONFIG
) -> CoverageResult:
    """Coverage of residents under a named standard, per subdistrict.

    Parameters
    ----------
    layers : dict
        Loaded layers (``residents``, ``boundary`` and the standard's layer).
    key : str
        A key of :data:`tianhe_geo.config.STANDARDS`.
    config : AnalysisConfig
        Settings (detour factor, CRS, buffer).

    Returns
    -------
    CoverageResult
        Coverage at the standard's radius, grouped by ``subdistrict``.
    """
    if key not in STANDARDS:
        msg = f"unknown standard {key!r}; known: {sorted(STANDARDS)}"
        raise AnalysisInputError(msg)
    std = STANDARDS[key]
    res = residents_in(layers, config)
    fac = select_facilities(layers, std, config)
    return coverage(
        res, fac, [std.radius_m], group="subdistrict", detour_factor=config.detour_factor
    )


def standards_table(
    layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig = DEFAULT_CONFIG
) -> tuple[pd.DataFrame, dict[str, CoverageResult]]:
    """District share covered for every configured standard.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    config : AnalysisConfig
        Settings; ``config.standards`` chooses the rules.

    Returns
    -------
    table : pandas.DataFrame
        One row per standard: radius, share, target, met, uncovered persons.
    results : dict
        Standard key -> :class:`CoverageResult`.
    """
    rows, results = [], {}
    for key in config.standards:
        std = STANDARDS[key]
        out = run_standard(layers, key, config)
        results[key] = out
        d = out.summary.loc["district"]
        share = float(d[f"share_{std.radius_m:g}"])
        rows.append(
            {
                "standard": key,
                "name_zh": std.name_zh,
                "name_en": std.name_en,
                "radius_m": std.radius_m,
                "share": share,
                "target": std.target_share,
                "met": None if std.target_share is None else bool(share > std.target_share),
                "uncovered_pop": float(d[f"uncovered_pop_{std.radius_m:g}"]),
                "method": out.method,
                "source": std.source,
            }
        )
    return pd.DataFrame(rows).set_index("standard"), results


def doctors_2sfca(
    layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig = DEFAULT_CONFIG
) -> tuple[pd.Series, pd.Series]:
    """Doctors per 1,000 residents within the 2SFCA catchment.

    Parameters
    ----------
    layers : dict
        Loaded layers (``residents``, ``facilities``, ``boundary``).
    config : AnalysisConfig
        Settings (``catchment_2sfca_m``).

    Returns
    -------
    per_cell : pandas.Series
        Score per resident cell.
    per_subdistrict : pandas.Series
        Population-weighted mean per subdistrict code.
    """
    std = STANDARDS["life15-health"]
    res = residents_in(layers, config)
    fac = select_facilities(layers, std, config)
    fac = fac[fac["doctors"].notna()]
    table = euclidean_table(res, fac, config.catchment_2sfca_m, config.detour_factor)
    score = two_step_fca(table, res["population"], fac["doctors"], config.catchment_2sfca_m)
    return score, weighted_mean(score, res["population"], res["subdistrict"])


def _in_district(gdf: gpd.GeoDataFrame, layers: dict, crs: str) -> gpd.GeoDataFrame:
    area = layers["boundary"].to_crs(crs).union_all()
    g = gdf.to_crs(crs)
    return g[shapely.intersects(g.geometry.values, area)]


def indicators(
    layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig = DEFAULT_CONFIG
) -> pd.DataFrame:
    """The plan's 2025 indicators: value, target, gap, met, and how each was obtained.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    config : AnalysisConfig
        Settings.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator: ``value``, ``target``, ``unit``, ``gap``
        (target - value, positive = short), ``met``, ``basis``.
    """
    crs = config.analysis_crs
    pop = float(layers["subdistricts"]["population"].sum())
    area = layers["boundary"].to_crs(crs).union_all()
    parks = layers["parks"].to_crs(crs)
    park_m2 = float(shapely.area(shapely.intersection(parks.geometry.values, area)).sum())
    fac = _in_district(layers["facilities"], layers, crs)
    existing = fac[fac["status"] == "existing"]
    health = existing[existing["category"].isin(["hospital", "community_health"])]
    elderly = existing[existing["category"] == "elderly_care"]
    schools = fac[
        fac["category"].isin(["primary_school", "middle_school", "kindergarten"])
        & fac["status"].isin(["planned", "under_construction"])
    ]
    shipped = "computed from the shipped layers, which are incomplete"
    values = {
        "park_m2_per_resident": (
            park_m2 / pop,
            f"parks layer area in district / census pop; {shipped}",
        ),
        "doctors_per_1000": (
            1000 * health["doctors"].sum() / pop,
            f"doctors recorded at {int(health['doctors'].notna().sum())} facilities; {shipped}",
        ),
        "elderly_care_beds": (
            float(elderly["beds"].sum()),
            f"beds recorded at {int(elderly['beds'].notna().sum())} facilities; {shipped}",
        ),
        "new_public_school_places": (
            float(schools["places"].sum()),
            f"places of planned / under-construction schools; {shipped}",
        ),
        "old_communities_renovated": (
            np.nan,
            "not in the shipped data: record progress from the district's reports",
        ),
    }
    rows = []
    for key, (value, basis) in values.items():
        target, unit = PLAN_TARGETS[key]
        known = bool(np.isfinite(value))
        rows.append(
            {
                "indicator": key,
                "value": value,
                "target": target,
                "unit": unit,
                "gap": target - value if known else np.nan,
                "met": (value >= target) if known else None,
                "basis": basis,
                "target_source": PLAN_SOURCE,
            }
        )
    return pd.DataFrame(rows).set_index("indicator")


@dataclass(frozen=True)
class PlanAnalysis:
    """Everything the report shows, computed once."""

    standards: pd.DataFrame
    results: dict[str, CoverageResult]
    indicators: pd.DataFrame
    doctors_cell: pd.Series
    doctors_subdistrict: pd.Series


def analyse(
    layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig = DEFAULT_CONFIG
) -> PlanAnalysis:
    """Run every standard, the 2SFCA and the indicators.

    Parameters
    ----------
    layers : dict
        Loaded layers (all base layers and ``residents``).
    config : AnalysisConfig
        Settings.

    Returns
    -------
    PlanAnalysis
        The results.
    """
    table, results = standards_table(layers, config)
    cell, sub = doctors_2sfca(layers, config)
    return PlanAnalysis(table, results, indicators(layers, config), cell, sub)
