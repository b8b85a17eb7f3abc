"""Plan questions answered from the layers: coverage by standard, indicators.

This module composes layers, coverage and access; it holds no geometry
algorithms of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import AnalysisInputError
from .access import two_step_fca, weighted_mean
from .config import DEFAULT_CONFIG, AnalysisConfig, Standard
from .coverage import CoverageResult, check_thresholds, coverage, euclidean_table
from .crs import require_crs
from .facts import PLAN_SOURCE, PLAN_TARGETS, load_plan_facts
from .layers import is_shipped
from .network import WalkNetwork, network_table
from .siting import SitingResult, candidate_grid, maximal_covering, set_covering

#: Facility categories that supply doctors.
HEALTH_CATEGORIES = ("hospital", "community_health")

#: Statuses that count as built; planned and under-construction features do not serve anyone yet.
BUILT = ("existing", "operating", "completed")


def select_features(
    layers: dict[str, gpd.GeoDataFrame],
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
        Matching features with a built status (:data:`BUILT`, when the layer
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
        chosen = chosen[chosen["status"].isin(BUILT)]
    chosen = chosen.to_crs(config.analysis_crs)
    area = layers["boundary"].to_crs(config.analysis_crs).union_all()
    reach = shapely.dwithin(chosen.geometry.values, area, config.facility_buffer_m)
    return chosen[reach]


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
        Built facilities of the standard's kinds (see :func:`select_features`).
    """
    gdf = layers[standard.layer]
    present = [v for v in standard.values if v in set(gdf[standard.column])]
    # A standard's kind may be absent from a user's layer: that is zero coverage, not an error.
    if not present:
        return gdf.iloc[:0].to_crs(config.analysis_crs)
    return select_features(layers, standard.layer, {standard.column: present}, config)


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


def measure_coverage(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds: Sequence[float],
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    group: str | None = "subdistrict",
    service_radius_m: Sequence[float] | None = None,
) -> CoverageResult:
    """Coverage by street network when one is given, else by straight line x detour.

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
        Per resident, per group and uncovered areas.
    """
    if service_radius_m is None:
        # On a network: one shortest-path pass for the nearest facility (no counts).
        return coverage(
            residents,
            facilities,
            thresholds,
            group=group,
            detour_factor=config.detour_factor,
            counts=network is None,
            network=network,
            max_snap_m=config.max_snap_m,
        )
    cut = max(check_thresholds(thresholds))
    snapped = None
    if network is None:
        table = euclidean_table(residents, facilities, cut, config.detour_factor)
        method = f"straight line x {config.detour_factor:g}"
    else:
        table, snapped = network_table(residents, facilities, network, cut, config.max_snap_m)
        method = "street network"
    # Keep the pairs a facility's own service area reaches.
    radius = pd.Series(np.asarray(service_radius_m, dtype=float), index=facilities.index)
    table = table[table["cost_m"] <= radius.reindex(table["destination_id"]).to_numpy()]
    method += ", service radius per facility"
    out = coverage(residents, facilities, thresholds, group=group, table=table, valid=snapped)
    return replace(out, method=method)


def run_standard(
    layers: dict[str, gpd.GeoDataFrame],
    key: str,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
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
    layers: dict[str, gpd.GeoDataFrame],
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    on_step: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, CoverageResult]]:
    """District share covered for every configured standard.

    Parameters
    ----------
    layers : dict
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
        One row per standard: radius, share, target, met (None without a
        target, and when a share below it comes from a shipped, incomplete
        layer: a lower bound), uncovered persons.
    results : dict
        Standard key -> :class:`CoverageResult`.
    """
    rows, results = [], {}
    for key in config.standards:
        std = config.standard(key)
        out = run_standard(layers, key, config, network)
        results[key] = out
        if on_step:
            on_step(key)
        d = out.summary.loc["district"]
        share = float(out.share()["district"])
        rows.append(
            {
                "standard": key,
                "name_zh": std.name_zh,
                "name_en": std.name_en,
                "radius_m": std.radius_m,
                "share": share,
                "target": std.target_share,
                "met": _standard_met(share, std, layers),
                "uncovered_pop": float(d[f"uncovered_pop_{std.radius_m:g}"]),
                "method": out.method,
                "source": std.source,
            }
        )
    return pd.DataFrame(rows).set_index("standard"), results


def _standard_met(share: float, std: Standard, layers: dict) -> bool | None:
    """Met, not met, or None: no target, or a share below it from an incomplete layer.

    Facilities missing from a shipped layer can only raise the share, so a
    share below the target from one is a lower bound and proves nothing.
    """
    if std.target_share is None:
        return None
    return _verdict(bool(share > std.target_share), is_shipped(layers[std.layer]))


def _verdict(met: bool, lower_bound: bool) -> bool | None:
    """None when a lower bound falls short: the missing features may close the gap."""
    return None if lower_bound and not met else met


def capacity_2sfca(
    layers: dict[str, gpd.GeoDataFrame],
    capacity: str,
    categories: Sequence[str],
    catchment_m: float,
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> tuple[pd.Series, pd.Series]:
    """Capacity per 1,000 residents within a catchment (2SFCA), per cell and subdistrict.

    Parameters
    ----------
    layers : dict
        Loaded layers (``residents``, ``facilities``, ``boundary``).
    capacity : str
        Facilities column holding the capacity (``"doctors"``, ``"beds"``).
    categories : sequence of str
        Facility categories that supply it.
    catchment_m : float
        Catchment radius in metres.
    config : AnalysisConfig
        Settings (CRS, detour factor, edge buffer).

    Returns
    -------
    per_cell : pandas.Series
        Score per resident cell (capacity per 1,000 residents); NaN
        everywhere when no facility records the capacity (not measured).
    per_subdistrict : pandas.Series
        Population-weighted mean per subdistrict code.
    """
    res = residents_in(layers, config)
    fac = select_features(layers, "facilities", {"category": list(categories)}, config)
    fac = fac[fac[capacity].notna()]
    if fac.empty:
        nan = pd.Series(np.nan, index=res.index, name="score")
        return nan, weighted_mean(nan, res["population"], res["subdistrict"])
    table = euclidean_table(res, fac, catchment_m, config.detour_factor)
    score = two_step_fca(table, res["population"], fac[capacity], catchment_m)
    return score, weighted_mean(score, res["population"], res["subdistrict"])


def park_area_per_resident(
    layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig = DEFAULT_CONFIG
) -> pd.Series:
    """Park area per resident in each subdistrict, square metres per person.

    Parameters
    ----------
    layers : dict
        Loaded layers (``subdistricts``, ``parks``).
    config : AnalysisConfig
        Settings (analysis CRS).

    Returns
    -------
    pandas.Series
        m² of park inside each subdistrict polygon divided by its census
        population, indexed by subdistrict code (the plan target is
        district-wide, :data:`PLAN_TARGETS`).
    """
    sub = layers["subdistricts"].to_crs(config.analysis_crs)
    parks = layers["parks"].to_crs(config.analysis_crs).union_all()
    area = shapely.area(shapely.intersection(sub.geometry.values, parks))
    return pd.Series(area / sub["population"].to_numpy(), index=sub["code"].to_numpy())


def _in_district(gdf: gpd.GeoDataFrame, layers: dict, crs: str) -> gpd.GeoDataFrame:
    area = layers["boundary"].to_crs(crs).union_all()
    g = gdf.to_crs(crs)
    return g[shapely.intersects(g.geometry.values, area)]


def _recorded(value: float, column: pd.Series, what: str) -> tuple[float, str]:
    """An indicator summed from a capacity column: unknown (NaN), not 0, when none is recorded."""
    n = int(column.notna().sum())
    if n == 0:
        return np.nan, f"no {what} recorded in the data: not measured"
    return value, f"{what} recorded at {n} of {len(column)} facilities"


def indicators(
    layers: dict[str, gpd.GeoDataFrame],
    config: AnalysisConfig = DEFAULT_CONFIG,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The plan's 2025 indicators: value, target, gap, met, and how each was obtained.

    Each indicator is computed from the layers where they carry the data
    (park area, recorded capacities); where they do not, the published figure
    of ``facts`` is used instead. Both are returned side by side, so a
    lower bound from an incomplete layer can be read against the official
    statistic.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    config : AnalysisConfig
        Settings.
    facts : pandas.DataFrame, optional
        Published values (see :func:`tianhe_geo.facts.read_plan_facts`);
        when omitted, the file ``config.plan_facts`` or the shipped
        ``plan_facts.csv``. Pass an empty frame to use the layers only.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator: ``value``, ``target``, ``unit``, ``gap``
        (target - value, positive = short), ``met``, ``basis`` (which of the
        two ``value`` is and how it was obtained), ``computed`` (from the
        layers; NaN when they do not carry the data), ``published``,
        ``published_year``, ``published_source`` and ``target_source``.
    """
    if facts is None:
        facts = load_plan_facts(config.plan_facts)
    rows = [
        {"indicator": key, **_indicator_row(key, *measured, facts)}
        for key, measured in _measured(layers, config).items()
    ]
    return pd.DataFrame(rows).set_index("indicator")


def _measured(layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig) -> dict[str, tuple]:
    """Per indicator: value from the layers (NaN if not carried), basis, and lower-bound flag."""
    crs = config.analysis_crs
    pop = float(layers["subdistricts"]["population"].sum())
    area = layers["boundary"].to_crs(crs).union_all()
    parks = layers["parks"].to_crs(crs)
    # Union first: overlapping park polygons (a strip park along a bigger one) count once.
    park_m2 = float(shapely.area(shapely.intersection(parks.union_all(), area)))
    fac = _in_district(layers["facilities"], layers, crs)
    existing = fac[fac["status"] == "existing"]
    health = existing[existing["category"].isin(["hospital", "community_health"])]
    elderly = existing[existing["category"] == "elderly_care"]
    schools = fac[
        fac["category"].isin(["primary_school", "middle_school", "kindergarten"])
        & fac["status"].isin(["planned", "under_construction"])
    ]
    # Sums over the shipped layers, which are incomplete, are lower bounds.
    parks_low = is_shipped(layers["parks"])
    fac_low = is_shipped(layers["facilities"])
    return {
        "park_m2_per_resident": (
            park_m2 / pop,
            "parks layer area in the district / census population",
            parks_low,
        ),
        "doctors_per_1000": (
            *_recorded(1000 * health["doctors"].sum() / pop, health["doctors"], "doctors"),
            fac_low,
        ),
        "elderly_care_beds": (
            *_recorded(float(elderly["beds"].sum()), elderly["beds"], "beds"),
            fac_low,
        ),
        "new_public_school_places": (
            float(schools["places"].sum()),
            "places of planned / under-construction schools in the facilities layer",
            fac_low,
        ),
        "old_communities_renovated": (
            np.nan,
            "not in the layers: record progress from the district's reports",
            False,
        ),
    }


def _indicator_row(
    key: str, computed: float, basis: str, lower_bound: bool, facts: pd.DataFrame
) -> dict:
    """Value, gap and met for one indicator.

    The value is what the layers give, unless they give nothing or only a lower
    bound (a sum over an incomplete shipped layer) and a published figure exists:
    then the published figure is the value and the computed one sits beside it.
    """
    target, unit = PLAN_TARGETS[key]
    fact = facts.loc[key] if key in facts.index else None
    published = float(fact["value"]) if fact is not None else np.nan
    value = computed
    from_published = bool(np.isfinite(published) and (lower_bound or not np.isfinite(computed)))
    if from_published:
        why = (
            f"the shipped layers give only a lower bound, {computed:,.4g} ({basis})"
            if np.isfinite(computed)
            else f"the layers do not carry it ({basis})"
        )
        value, lower_bound = published, False
        basis = (
            f"published figure for {fact['year']} ({fact['scope']}): {fact['derivation']}; "
            f"{fact['accuracy']}; {why}"
        )
    known = bool(np.isfinite(value))
    met = bool(value >= target) if known else None
    if from_published and not fact.get("comparable", True):
        met, known = None, False  # no gap either: the figure measures something else
        basis += "; not on the plan's basis (another window or scope), so met is unknown"
    if known and lower_bound:
        basis += "; a lower bound, since the shipped layer is incomplete"
        met = _verdict(met, lower_bound)
        if met is None:
            basis += ", so whether the target is met is unknown"
    return {
        "value": value,
        "target": target,
        "unit": unit,
        "gap": target - value if known else np.nan,
        "met": met,
        "basis": basis,
        "computed": computed,
        "published": published,
        "published_year": fact["year"] if np.isfinite(published) else pd.NA,
        "published_source": fact["source"] if np.isfinite(published) else "",
        "target_source": PLAN_SOURCE,
    }


@dataclass(frozen=True)
class PlanAnalysis:
    """Everything the report shows, computed once."""

    standards: pd.DataFrame
    results: dict[str, CoverageResult]
    indicators: pd.DataFrame
    doctors_cell: pd.Series
    doctors_subdistrict: pd.Series
    beds_cell: pd.Series
    beds_subdistrict: pd.Series
    method: str = "straight line x 1"


def analyse(
    layers: dict[str, gpd.GeoDataFrame],
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    on_step: Callable[[str], None] | None = None,
) -> PlanAnalysis:
    """Run every standard, the 2SFCA and the indicators.

    Parameters
    ----------
    layers : dict
        Loaded layers (all base layers and ``residents``).
    config : AnalysisConfig
        Settings.
    network : WalkNetwork, optional
        Street network for the standards; straight line x
        ``config.detour_factor`` when omitted.
    on_step : callable, optional
        Called with each standard's key once it is done (progress display).

    Returns
    -------
    PlanAnalysis
        The results.
    """
    table, results = standards_table(layers, config, network, on_step)
    doctors = capacity_2sfca(layers, "doctors", HEALTH_CATEGORIES, config.catchment_2sfca_m, config)
    beds = capacity_2sfca(layers, "beds", ("hospital",), config.catchment_beds_m, config)
    method = next(iter(results.values())).method if results else "none"
    return PlanAnalysis(table, results, indicators(layers, config), *doctors, *beds, method=method)


def siting_candidates(
    layers: dict[str, gpd.GeoDataFrame],
    spacing_m: float,
    config: AnalysisConfig = DEFAULT_CONFIG,
    exclude: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites on a grid over the district, outside existing parks.

    Parameters
    ----------
    layers : dict
        Loaded layers (``boundary``, ``parks``).
    spacing_m : float
        Grid spacing in metres.
    config : AnalysisConfig
        Settings (analysis CRS).
    exclude : geopandas.GeoDataFrame, optional
        More land where no site may go (any CRS), e.g. water, protected or
        built-up land masks.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in the analysis CRS, indexed ``cand-<n>``. Parks are excluded
        because a new clinic or pocket park is not built inside a park; give
        your own candidates (vacant or public land) for real decisions.
    """
    area = layers["boundary"].to_crs(config.analysis_crs)
    masks = [layers[n].to_crs(config.analysis_crs).geometry for n in ("parks",) if n in layers]
    if exclude is not None:
        require_crs(exclude, "exclude")
        masks.append(exclude.to_crs(config.analysis_crs).geometry)
    mask = gpd.GeoSeries(pd.concat(masks), crs=config.analysis_crs) if masks else None
    return candidate_grid(area, spacing_m, exclude=mask)


def site_for_standard(  # noqa: PLR0913 - a siting question has this many knobs
    layers: dict[str, gpd.GeoDataFrame],
    key: str,
    *,
    k: int | None = None,
    target_share: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    spacing_m: float = 250.0,
    exclude: gpd.GeoDataFrame | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    time_limit_s: float = 60.0,
) -> tuple[SitingResult, gpd.GeoDataFrame]:
    """Where new facilities of a standard's kind should go (MCLP or set covering).

    Parameters
    ----------
    layers : dict
        Loaded layers.
    key : str
        A key of :data:`tianhe_geo.config.STANDARDS`: its facilities are kept
        as existing and its radius is the covering distance.
    k : int, optional
        Number of new sites: maximal covering (MCLP).
    target_share : float, optional
        Share of residents to reach (0-1]: fewest sites (set covering).
        Give exactly one of ``k`` and ``target_share``.
    candidates : geopandas.GeoDataFrame, optional
        Possible sites (any CRS); a grid from :func:`siting_candidates`
        when omitted.
    spacing_m : float, default 250
        Grid spacing in metres when ``candidates`` is omitted.
    exclude : geopandas.GeoDataFrame, optional
        Land masks where the grid may not go (besides existing parks).
    config : AnalysisConfig
        Settings (CRS, detour factor, edge buffer, snapping).
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    time_limit_s : float, default 60
        Solver time limit in seconds.

    Returns
    -------
    result : SitingResult
        Chosen sites, coverage before and after, solver status and gap.
    existing : geopandas.GeoDataFrame
        The facilities kept fixed, in the analysis CRS.
    """
    if (k is None) == (target_share is None):
        msg = "give exactly one of k (maximal covering) and target_share (set covering)"
        raise AnalysisInputError(msg)
    std = config.standard(key)
    if std.radius_by:
        msg = (
            f"standard {key!r} has a radius per {std.column}; siting needs one radius: "
            "choose a single-radius standard, or override it with AnalysisConfig(radii=...)"
        )
        raise AnalysisInputError(msg)
    res = residents_in(layers, config)
    existing = select_facilities(layers, std, config)
    if candidates is None:
        cand = siting_candidates(layers, spacing_m, config, exclude)
    else:
        cand = candidates.to_crs(config.analysis_crs)
    table = None
    if network is not None:
        both = pd.concat([cand.geometry, existing.geometry.centroid])
        sites = gpd.GeoDataFrame(geometry=both.to_numpy(), index=both.index, crs=cand.crs)
        table, _ = network_table(res, sites, network, std.radius_m, config.max_snap_m)
    common = {
        "existing": existing,
        "table": table,
        "detour_factor": config.detour_factor,
        "time_limit_s": time_limit_s,
    }
    if k is not None:
        result = maximal_covering(res, cand, k, std.radius_m, **common)
    else:
        result = set_covering(res, cand, target_share, std.radius_m, **common)
    return result, existing
