"""Who meets which standard: the facilities a standard counts, its coverage, its verdict.

Composes the analysis layer for Tianhe's planning rules; holds no geometry
algorithms of its own. Every function measures distance the way a run is set
up (:func:`plan_distance`): along the street network when one is given, else
by straight line times the configured detour factor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.coverage import CoverageResult, coverage
from ..analysis.distance import (
    Distance,
    OnNetwork,
    StraightLine,
    cost_table,
    within_service_radius,
)
from ..analysis.network import WalkNetwork
from ..data.schemas import is_complete
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.errors import AnalysisInputError
from ..foundation.i18n import standard_title
from ..foundation.standards import Standard
from ..foundation.vocab import BUILT_STATUSES

#: Loaded layers: name -> GeoDataFrame (EPSG:4326, indexed by id).
Layers = Mapping[str, gpd.GeoDataFrame]


def plan_distance(config: AnalysisConfig, network: WalkNetwork | None = None) -> Distance:
    """How a run measures distance: on ``network`` when given, else straight line x detour.

    Parameters
    ----------
    config : AnalysisConfig
        Settings (detour factor, snap limit).
    network : WalkNetwork, optional
        Street network in ``config.analysis_crs``.

    Returns
    -------
    OnNetwork or StraightLine
        The strategy every measure of the run uses.
    """
    if network is not None:
        return OnNetwork(network, config.max_snap_m)
    return StraightLine(config.detour_factor)


def select_features(
    layers: Layers,
    layer: str,
    where: Mapping[str, Sequence[object]] | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> gpd.GeoDataFrame:
    """Built features of a layer matching a filter, in metres, within the edge buffer.

    Parameters
    ----------
    layers : dict
        Loaded layers (needs ``boundary`` and ``layer``).
    layer : str
        Layer name, e.g. ``"facilities"``.
    where : mapping, optional
        Column -> accepted values, e.g. ``{"category": ["hospital"]}``.
    config : AnalysisConfig
        Settings (analysis CRS, facility buffer).

    Returns
    -------
    geopandas.GeoDataFrame
        Matching features with a built status
        (:data:`~tianhe_geo.foundation.vocab.BUILT_STATUSES`, when the layer
        has a ``status`` column) within ``config.facility_buffer_m`` of the
        district, in the analysis CRS.

    Raises
    ------
    AnalysisInputError
        Unknown layer or column, or values the column never holds.
    """
    if layer not in layers:
        msg = f"layer {layer!r} is not loaded; loaded: {sorted(layers)}"
        raise AnalysisInputError(msg)
    chosen = layers[layer]
    for column, values in (where or {}).items():
        if column not in chosen.columns:
            msg = f"layer {layer!r} has no column {column!r}; columns: {list(chosen.columns)}"
            raise AnalysisInputError(msg)
        unknown = sorted(set(map(str, values)) - set(chosen[column].astype(str)))
        if unknown:
            msg = (
                f"layer {layer!r} column {column!r} never holds {unknown}; "
                f"values present: {sorted(chosen[column].astype(str).unique())}"
            )
            raise AnalysisInputError(msg)
        chosen = chosen[chosen[column].astype(str).isin(list(map(str, values)))]
    if "status" in chosen.columns:
        chosen = chosen[chosen["status"].isin(BUILT_STATUSES)]
    chosen = chosen.to_crs(config.analysis_crs)
    area = layers["boundary"].to_crs(config.analysis_crs).union_all()
    reach = shapely.dwithin(chosen.geometry.values, area, config.facility_buffer_m)
    return chosen[reach]


def select_facilities(
    layers: Layers, standard: Standard, config: AnalysisConfig
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
        Built facilities of the standard's kinds (see :func:`select_features`).
    """
    gdf = layers[standard.layer]
    present = [v for v in standard.values if v in set(gdf[standard.column])]
    # A standard's kind may be absent from a user's layer: that is zero coverage, not an error.
    if not present:
        return gdf.iloc[:0].to_crs(config.analysis_crs)
    return select_features(layers, standard.layer, {standard.column: present}, config)


def residents_in(layers: Layers, config: AnalysisConfig) -> gpd.GeoDataFrame:
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
        (how many were counted), uncovered persons, distance kind, source.
    results : dict
        Standard key -> :class:`CoverageResult`.
    """
    rows, results = [], {}
    for key in config.standards:
        out = run_standard(layers, key, config, network)
        results[key] = out
        if on_step:
            on_step(key)
        rows.append(standard_row(layers, config.standard(key), out, config))
    return pd.DataFrame(rows).set_index("standard"), results


def standard_row(
    layers: Layers, std: Standard, out: CoverageResult, config: AnalysisConfig = DEFAULT_CONFIG
) -> dict[str, object]:
    """One row of :func:`standards_table` from a standard's coverage result.

    Parameters
    ----------
    layers : mapping
        The layers the result was computed from.
    std : Standard
        The standard as measured (radius overrides applied).
    out : CoverageResult
        Its coverage.
    config : AnalysisConfig
        Settings (to count the facilities the standard selects).

    Returns
    -------
    dict
        The row's values.
    """
    share = float(out.share()["district"])
    counted = select_facilities(layers, std, config)
    complete = is_complete(counted if len(counted) else layers[std.layer])
    return {
        "standard": std.key,
        "name_zh": standard_title(std, "zh"),
        "name_en": standard_title(std, "en"),
        "radius_m": std.radius_m,
        "share": share,
        "target": std.target_share,
        "met": standard_met(share, std.target_share, complete),
        "complete": complete,
        "facilities": len(counted),
        "uncovered_pop": float(out.summary.loc["district", f"uncovered_pop_{std.radius_m:g}"]),
        "distance": out.method.kind,
        "source": std.source,
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
