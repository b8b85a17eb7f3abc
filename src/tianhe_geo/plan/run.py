"""A planning run: every standard, the capacity measures and the indicators, computed once.

:func:`analyse` is what the report, the maps and the tables read; the plan
scenario (:func:`run_scenario`) reuses its results for "before" instead of
computing them again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..analysis.coverage import CoverageResult
from ..analysis.distance import DistanceMethod
from ..analysis.network import WalkNetwork
from ..data.scenario_spec import Scenario
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.vocab import HEALTH_CATEGORIES
from .completeness import Completeness
from .compliance import measure_standards
from .indicators import Capacity, indicators, measure_capacity, park_area_per_resident
from .scenario import ScenarioComparison, apply_scenario, compare
from .selection import Layers, plan_distance


@dataclass(frozen=True)
class PlanAnalysis:
    """Everything a planning run computes, once.

    Attributes
    ----------
    standards : pandas.DataFrame
        One row per standard (see :func:`~tianhe_geo.plan.compliance.standards_table`).
    results : dict
        Standard key -> :class:`~tianhe_geo.analysis.coverage.CoverageResult`.
    indicators : pandas.DataFrame
        The plan's indicators (see :func:`~tianhe_geo.plan.indicators.indicators`).
    doctors, beds : Capacity
        Doctors and hospital beds per 1,000 residents (2SFCA).
    park_m2 : pandas.Series
        Park area per resident per subdistrict code, m².
    rests_on : dict
        Standard key -> :class:`~tianhe_geo.plan.completeness.Completeness`:
        how many facilities each figure rests on, against the norm.
    method : DistanceMethod
        How distances were measured.
    config : AnalysisConfig
        The settings it was computed with (radii, catchments, sources).
    """

    standards: pd.DataFrame
    results: dict[str, CoverageResult]
    indicators: pd.DataFrame
    doctors: Capacity
    beds: Capacity
    park_m2: pd.Series
    rests_on: dict[str, Completeness]
    method: DistanceMethod
    config: AnalysisConfig = DEFAULT_CONFIG


def analyse(
    layers: Layers,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    on_step: Callable[[str], None] | None = None,
) -> PlanAnalysis:
    """Run every configured standard, the 2SFCA measures and the indicators.

    Parameters
    ----------
    layers : mapping
        Loaded layers (all base layers and ``residents``).
    config : AnalysisConfig
        Settings.
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    on_step : callable, optional
        Called with each standard's key once it is done (progress display).

    Returns
    -------
    PlanAnalysis
        The results.
    """
    standards = measure_standards(layers, config, network, on_step)
    doctors = measure_capacity(
        layers, "doctors", HEALTH_CATEGORIES, config.catchment_doctors_m, config, network
    )
    beds = measure_capacity(layers, "beds", ("hospital",), config.catchment_beds_m, config, network)
    return PlanAnalysis(
        standards=standards.table,
        results=standards.results,
        indicators=indicators(layers, config),
        doctors=doctors,
        beds=beds,
        park_m2=park_area_per_resident(layers, config),
        rests_on=standards.rests_on,
        method=plan_distance(config, network).method,
        config=config,
    )


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario applied and compared.

    Attributes
    ----------
    key : str
        Short name used in file names (e.g. the scenario file's stem).
    scenario : Scenario
        The scenario.
    layers : dict
        Layers after the scenario.
    comparison : ScenarioComparison
        Before / after.
    """

    key: str
    scenario: Scenario
    layers: dict[str, object]
    comparison: ScenarioComparison


def run_scenario(
    layers: Layers,
    scenario: Scenario,
    key: str,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    before: PlanAnalysis | None = None,
) -> ScenarioRun:
    """Apply a scenario to the layers and compare before / after.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    scenario : Scenario
        The changes.
    key : str
        Short name for file names.
    config : AnalysisConfig
        Settings.
    network : WalkNetwork, optional
        Street network.
    before : PlanAnalysis, optional
        The run's analysis of ``layers`` with the same settings: its results
        are reused for "before" instead of being computed again.

    Returns
    -------
    ScenarioRun
        Layers after and the comparison.
    """
    after = apply_scenario(layers, scenario)
    comparison = compare(
        layers,
        after,
        config,
        network=network,
        before_results=before.results if before else None,
        before_indicators=before.indicators if before else None,
    )
    return ScenarioRun(key, scenario, dict(after), comparison)
