"""Who meets which standard: its coverage, and its verdict with what the figure rests on.

Composes the analysis layer for Tianhe's planning rules; holds no geometry
algorithms of its own. Every function measures distance the way a run is set
up (:func:`~tianhe_geo.plan.selection.plan_distance`): along the street network
when one is given, else by straight line times the configured detour factor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..analysis.coverage import CoverageResult, Reach, coverage
from ..analysis.distance import cost_table, within_service_radius
from ..analysis.network import WalkNetwork
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.i18n import standard_title
from ..foundation.standards import Standard
from .completeness import Completeness, completeness
from .selection import (
    Layers,
    plan_distance,
    residents_in,
    select_facilities,
    select_features,
)

__all__ = [
    "Layers",
    "StandardsRun",
    "lower_bound_verdict",
    "measure_coverage",
    "measure_standards",
    "plan_distance",
    "residents_in",
    "run_standard",
    "select_facilities",
    "select_features",
    "standard_met",
    "standard_row",
    "standards_table",
]


def measure_coverage(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds: Sequence[float],
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    group: str | None = "subdistrict",
    service_radius_m: Sequence[float] | np.ndarray | None = None,
) -> CoverageResult:
    """Coverage measured as the run is set up (:func:`plan_distance`).

    Parameters
    ----------
    residents, facilities : geopandas.GeoDataFrame
        In ``config.analysis_crs`` (metres).
    thresholds : sequence of float
        Walking distances in metres.
    config : AnalysisConfig
        Settings (detour factor, snapping distance).
    network : WalkNetwork, optional
        Street network in the same CRS (e.g. from an OSM extract).
    group : str or None, default "subdistrict"
        Column to summarise by; None for the district only.
    service_radius_m : sequence of float, optional
        Each facility's own service radius in metres (row order), e.g. by
        park tier: a resident then counts as covered at the threshold when
        within the radius of at least one facility. ``thresholds`` should
        then be the largest radius.

    Returns
    -------
    CoverageResult
        Per resident, per group and uncovered areas; its ``method`` says how.
    """
    distance = plan_distance(config, network)
    if service_radius_m is None:
        # On a network: one shortest-path pass for the nearest facility (no counts).
        counts = network is None
        return coverage(
            residents, facilities, thresholds, distance=distance, group=group, counts=counts
        )
    table = cost_table(residents, facilities, max(thresholds), distance)
    radius = pd.Series(np.asarray(service_radius_m, dtype=float), index=facilities.index)
    own = within_service_radius(table, radius)
    return coverage(residents, facilities, thresholds, distance=own, group=group)


def run_standard(
    layers: Layers,
    key: str,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
) -> CoverageResult:
    """Coverage of residents under a named standard, per subdistrict.

    Parameters
    ----------
    layers : mapping
        Loaded layers (``residents``, ``boundary`` and the standard's layer).
    key : str
        A key of :data:`~tianhe_geo.foundation.standards.STANDARDS`.
    config : AnalysisConfig
        Settings (detour factor, CRS, buffer, radius overrides).
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.

    Returns
    -------
    CoverageResult
        Coverage at the standard's radius, grouped by ``subdistrict``.
    """
    std = config.standard(key)
    res = residents_in(layers, config)
    fac = select_facilities(layers, std, config)
    radii = std.radii(fac[std.column]) if std.radius_by else None
    return measure_coverage(res, fac, [std.radius_m], config, network, service_radius_m=radii)


@dataclass(frozen=True)
class StandardsRun:
    """Every configured standard measured once.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per standard (see :func:`standards_table`).
    results : dict
        Standard key -> :class:`~tianhe_geo.analysis.coverage.CoverageResult`.
    rests_on : dict
        Standard key -> :class:`~tianhe_geo.plan.completeness.Completeness`:
        the facilities the figure rests on, against the norm.
    """

    table: pd.DataFrame
    results: dict[str, CoverageResult]
    rests_on: dict[str, Completeness]


def measure_standards(
    layers: Layers,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    on_step: Callable[[str], None] | None = None,
) -> StandardsRun:
    """Coverage and completeness of every configured standard (see :func:`standards_table`).

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    config : AnalysisConfig
        Settings; ``config.standards`` chooses the rules.
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    on_step : callable, optional
        Called with each standard's key once it is done (progress display).

    Returns
    -------
    StandardsRun
        The table, the coverage results and what each rests on.
    """
    rows, results, rests_on = [], {}, {}
    reach = None
    if config.standards:
        # The residents projected, read and (on a network) snapped once for every standard.
        res = residents_in(layers, config)
        reach = Reach.prepare(res, plan_distance(config, network), group="subdistrict")
    for key in config.standards:
        std = config.standard(key)
        results[key] = _measure_one(layers, std, config, network, reach)
        rests_on[key] = completeness(layers, std, config)
        if on_step:
            on_step(key)
        rows.append(standard_row(std, results[key], rests_on[key]))
    return StandardsRun(pd.DataFrame(rows).set_index("standard"), results, rests_on)


def _measure_one(
    layers: Layers,
    std: Standard,
    config: AnalysisConfig,
    network: WalkNetwork | None,
    reach: Reach | None,
) -> CoverageResult:
    """One standard's coverage, from residents already prepared."""
    assert reach is not None
    fac = select_facilities(layers, std, config)
    if std.radius_by:  # each facility within its own radius: a cost table
        radii = std.radii(fac[std.column])
        res = reach.residents
        return measure_coverage(res, fac, [std.radius_m], config, network, service_radius_m=radii)
    # On a network: one shortest-path pass for the nearest facility (no counts).
    return reach.coverage(fac, [std.radius_m], counts=network is None)


def standards_table(
    layers: Layers,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    on_step: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, CoverageResult]]:
    """District share covered for every configured standard.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    config : AnalysisConfig
        Settings; ``config.standards`` chooses the rules.
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    on_step : callable, optional
        Called with each standard's key once it is done (progress display).

    Returns
    -------
    table : pandas.DataFrame
        One row per standard: names (with the radius used), radius, share,
        target, met (None without a target, and when a share below it comes
        from an incomplete layer: a lower bound), ``complete`` (whether the
        facilities counted come from a complete layer), ``facilities``
        (how many were counted), ``expected_min`` (the fewest a provision norm
        expects for the residents; empty without a norm), ``completeness``
        (a :data:`~tianhe_geo.plan.completeness.VERDICTS` code), uncovered
        persons, distance kind, source, how polygons were reached
        (``polygons_reached``: ``edge`` or ``access_points``; ``access_spacing_m``).
    results : dict
        Standard key -> :class:`CoverageResult`.
    """
    run = measure_standards(layers, config, network, on_step)
    return run.table, run.results


def standard_row(std: Standard, out: CoverageResult, rests_on: Completeness) -> dict[str, object]:
    """One row of :func:`standards_table` from a standard's coverage and completeness.

    Parameters
    ----------
    std : Standard
        The standard as measured (radius overrides applied).
    out : CoverageResult
        Its coverage.
    rests_on : Completeness
        What the figure rests on.

    Returns
    -------
    dict
        The row's values.
    """
    share = float(out.share()["district"])
    complete = rests_on.declared_complete
    return {
        "standard": std.key,
        "name_zh": standard_title(std, "zh"),
        "name_en": standard_title(std, "en"),
        "radius_m": std.radius_m,
        "share": share,
        "target": std.target_share,
        "met": standard_met(share, std.target_share, complete),
        "complete": complete,
        "facilities": rests_on.facilities,
        "expected_min": rests_on.expected,
        "completeness": rests_on.verdict,
        "uncovered_pop": float(out.summary.loc["district", f"uncovered_pop_{std.radius_m:g}"]),
        "distance": out.method.kind,
        "source": std.source,
        "polygons_reached": out.method.polygons,
        "access_spacing_m": out.method.access_spacing_m,
    }


def standard_met(share: float, target: float | None, complete: bool) -> bool | None:
    """Met, not met, or None: no target, or a share below it from an incomplete layer.

    Parameters
    ----------
    share : float
        Share covered (0-1).
    target : float or None
        Share the standard asks for (it is met above it).
    complete : bool
        Whether the facilities counted come from a complete layer.

    Returns
    -------
    bool or None
        None without a target; None when an incomplete layer falls short
        (facilities missing from it can only raise the share, so a share below
        the target is a lower bound and proves nothing).
    """
    if target is None:
        return None
    return lower_bound_verdict(bool(share > target), lower_bound=not complete)


def lower_bound_verdict(met: bool, lower_bound: bool) -> bool | None:
    """A verdict, or None when a lower bound falls short (the missing features may close the gap).

    Parameters
    ----------
    met : bool
        Whether the figure reaches its target.
    lower_bound : bool
        Whether the figure is a lower bound of the true value.

    Returns
    -------
    bool or None
        ``met``, except None for a lower bound that is not met.
    """
    return None if lower_bound and not met else met
