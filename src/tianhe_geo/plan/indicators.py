"""The plan's 2025 indicators, and the capacity-per-resident measures behind them.

Each indicator is computed from the layers where they carry the data (park
area, recorded capacities); where they do not, or where an incomplete layer
gives only a lower bound, a published figure is used instead (see
:mod:`tianhe_geo.data.facts`). The choice is one pure function
(:func:`choose`); its wording in Chinese and English is another
(:func:`basis_text`), from the one label table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.access import two_step_fca, weighted_mean
from ..analysis.distance import cost_table
from ..analysis.network import WalkNetwork
from ..data.facts import is_shipped_area, load_plan_facts
from ..data.schemas import is_complete
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.i18n import label
from ..foundation.standards import PLAN_SOURCE, PLAN_TARGETS
from ..foundation.vocab import HEALTH_CATEGORIES, SCHOOL_CATEGORIES
from .compliance import lower_bound_verdict
from .selection import Layers, plan_distance, residents_in, select_kinds


@dataclass(frozen=True)
class Capacity:
    """A 2SFCA capacity measure (e.g. doctors per 1,000 residents).

    Attributes
    ----------
    per_cell : pandas.Series
        Score per resident cell; NaN where not measured.
    per_subdistrict : pandas.Series
        Population-weighted mean per subdistrict code.
    catchment_m : float
        Catchment radius, metres.
    recorded : int
        Facilities whose capacity is recorded (the ones the score rests on).
    facilities : int
        Facilities of the supplying kinds in the layer, recorded or not.
    complete : bool
        Whether the facility layer lists every one (else scores are lower bounds).
    capacity : str
        The facilities column measured (``"doctors"``, ``"beds"``).
    """

    per_cell: pd.Series
    per_subdistrict: pd.Series
    catchment_m: float
    recorded: int
    facilities: int
    complete: bool
    capacity: str

    @property
    def measured(self) -> bool:
        """Whether any facility recorded the capacity."""
        return bool(self.per_cell.notna().any())


def measure_capacity(
    layers: Layers,
    capacity: str,
    categories: Sequence[str],
    catchment_m: float,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
) -> Capacity:
    """Capacity per 1,000 residents within a catchment (2SFCA), and what it rests on.

    Parameters
    ----------
    layers : mapping
        Loaded layers (``residents``, ``facilities``, ``boundary``).
    capacity : str
        Facilities column holding the capacity (``"doctors"``, ``"beds"``).
    categories : sequence of str
        Facility categories that supply it.
    catchment_m : float
        Catchment radius in metres.
    config : AnalysisConfig
        Settings (CRS, detour factor, edge buffer, snap limit).
    network : WalkNetwork, optional
        Street network: catchments by walking distance; straight line x
        ``config.detour_factor`` when omitted.

    Returns
    -------
    Capacity
        Scores per cell (capacity per 1,000 residents; NaN everywhere when no
        facility records the capacity, and for cells not snapped to the
        network) and per subdistrict, with how many facilities they rest on.
    """
    res = residents_in(layers, config)
    supply = select_kinds(layers, "facilities", "category", categories, config)
    fac = supply[supply[capacity].notna()]
    if fac.empty:
        score = pd.Series(np.nan, index=res.index, name="score")
    else:
        table = cost_table(res, fac, catchment_m, plan_distance(config, network))
        score = two_step_fca(table.pairs, res["population"], fac[capacity], catchment_m)
        if table.valid is not None:
            score = score.where(table.valid.reindex(score.index).to_numpy())
    per_sub = weighted_mean(score, res["population"], res["subdistrict"])
    return Capacity(
        score, per_sub, catchment_m, len(fac), len(supply), is_complete(supply), capacity
    )


def capacity_2sfca(
    layers: Layers,
    capacity: str,
    categories: Sequence[str],
    catchment_m: float,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
) -> tuple[pd.Series, pd.Series]:
    """The scores of :func:`measure_capacity` alone: per cell and per subdistrict.

    Parameters
    ----------
    layers, capacity, categories, catchment_m, config, network
        As :func:`measure_capacity`.

    Returns
    -------
    per_cell : pandas.Series
        Score per resident cell (capacity per 1,000 residents).
    per_subdistrict : pandas.Series
        Population-weighted mean per subdistrict code.
    """
    c = measure_capacity(layers, capacity, categories, catchment_m, config, network)
    return c.per_cell, c.per_subdistrict


def park_area_per_resident(layers: Layers, config: AnalysisConfig = DEFAULT_CONFIG) -> pd.Series:
    """Park area per resident in each subdistrict, square metres per person.

    Parameters
    ----------
    layers : mapping
        Loaded layers (``subdistricts``, ``parks``).
    config : AnalysisConfig
        Settings (analysis CRS).

    Returns
    -------
    pandas.Series
        m² of park inside each subdistrict polygon divided by its census
        population, indexed by subdistrict code (the plan target is
        district-wide, :data:`~tianhe_geo.data.facts.PLAN_TARGETS`).
    """
    sub = layers["subdistricts"].to_crs(config.analysis_crs)
    parks = layers["parks"].to_crs(config.analysis_crs).union_all()
    area = shapely.area(shapely.intersection(sub.geometry.values, parks))
    pop = pd.to_numeric(sub["population"], errors="coerce").to_numpy(dtype=float)
    # Nobody counted (0 or missing, e.g. an OSM-only import): unknown, not infinite.
    per = np.divide(area, pop, out=np.full(len(sub), np.nan), where=pop > 0)
    return pd.Series(per, index=sub["code"].to_numpy())


@dataclass(frozen=True)
class Measured:
    """An indicator as the layers give it.

    Attributes
    ----------
    value : float
        The value; NaN when the layers do not carry the data.
    basis : str
        Key of the label saying how it was obtained.
    basis_values : dict
        Values that label names.
    lower_bound : bool
        The value is a lower bound (a sum over an incomplete layer).
    """

    value: float
    basis: str
    basis_values: dict[str, object] = field(default_factory=dict)
    lower_bound: bool = False


@dataclass(frozen=True)
class IndicatorValue:
    """The value an indicator is reported with, and what can be said of it.

    Attributes
    ----------
    value : float
        The value reported (NaN when unknown).
    met : bool or None
        Whether it reaches the target; None when that cannot be told.
    published : bool
        The value is the published figure, not the layers'.
    comparable : bool
        The value is on the plan's basis (same window and scope).
    lower_bound : bool
        The value is a lower bound.
    """

    value: float
    met: bool | None
    published: bool
    comparable: bool
    lower_bound: bool

    @property
    def known(self) -> bool:
        """A value the target can be compared with."""
        return bool(np.isfinite(self.value)) and self.comparable


def choose(target: float, measured: Measured, fact: pd.Series | None) -> IndicatorValue:
    """The value to report: the layers', unless they give none or only a lower bound.

    Parameters
    ----------
    target : float
        The plan's target (met at or above it).
    measured : Measured
        What the layers give.
    fact : pandas.Series, optional
        The published figure's row (``value``, ``comparable``...), if any.

    Returns
    -------
    IndicatorValue
        The decision.
    """
    published = float(fact["value"]) if fact is not None else np.nan
    use_fact = bool(
        np.isfinite(published) and (measured.lower_bound or not np.isfinite(measured.value))
    )
    if use_fact and fact is not None:
        comparable = bool(fact.get("comparable", True))
        met = bool(published >= target) if comparable else None
        return IndicatorValue(published, met, True, comparable, False)
    value = measured.value
    if not np.isfinite(value):
        return IndicatorValue(value, None, False, True, measured.lower_bound)
    met = lower_bound_verdict(bool(value >= target), measured.lower_bound)
    return IndicatorValue(value, met, False, True, measured.lower_bound)


def basis_text(
    measured: Measured, fact: pd.Series | None, choice: IndicatorValue, lang: str = "en"
) -> str:
    """How the reported value was obtained, in words.

    Parameters
    ----------
    measured : Measured
        What the layers give.
    fact : pandas.Series, optional
        The published figure's row.
    choice : IndicatorValue
        The decision of :func:`choose`.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        One sentence of clauses joined by semicolons.
    """
    sep = "；" if lang == "zh" else "; "
    values = dict(measured.basis_values)
    if "what" in values:  # the capacity's name, in the language
        values["what"] = label(f"what_{values['what']}", lang)
    layers = label(measured.basis, lang, **values)
    if not choice.published or fact is None:
        parts = [layers]
        if choice.lower_bound and np.isfinite(choice.value):
            parts.append(label("basis_lower_bound", lang))
            if choice.met is None:
                parts[-1] += ("，" if lang == "zh" else ", ") + label("basis_met_unknown", lang)
        return sep.join(parts)
    why = (
        label("basis_lower_bound_replaced", lang, computed=f"{measured.value:,.4g}", basis=layers)
        if np.isfinite(measured.value)
        else label("basis_not_in_layers", lang, basis=layers)
    )
    keys = ("year", "scope", "derivation", "accuracy")
    parts = [label("basis_published", lang, **{k: str(fact[k]) for k in keys}), why]
    if not choice.comparable:
        parts.append(label("basis_not_comparable", lang))
    return sep.join(parts)


def indicators(
    layers: Layers,
    config: AnalysisConfig = DEFAULT_CONFIG,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The plan's 2025 indicators: value, target, gap, met, and how each was obtained.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    config : AnalysisConfig
        Settings.
    facts : pandas.DataFrame, optional
        Published values (see :func:`tianhe_geo.data.facts.read_plan_facts`);
        when omitted, the file ``config.plan_facts``, else the shipped
        ``plan_facts.csv`` when ``config.shipped_facts`` is True, or is None
        (the default) and the layers' boundary is the shipped Tianhe one
        (:func:`~tianhe_geo.data.facts.is_shipped_area`); otherwise none.
        Pass an empty frame to use the layers only; the figures that need a
        published value then say no plan facts were given.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator: ``value``, ``target``, ``unit``, ``gap``
        (target - value, positive = short), ``met``, ``basis`` and
        ``basis_zh`` (which of the two ``value`` is and how it was obtained),
        ``computed`` (from the layers; NaN when they do not carry the data),
        ``lower_bound``, ``comparable``, ``published``, ``published_year``,
        ``published_source`` and ``target_source``.
    """
    if facts is None:
        shipped = config.shipped_facts
        if shipped is None:  # Tianhe's published figures only for Tianhe's layers
            shipped = is_shipped_area(layers.get("boundary"))
        facts = load_plan_facts(config.plan_facts, shipped=shipped)
    rows = [
        {"indicator": key, **_row(key, measured, facts)}
        for key, measured in _measured(layers, config).items()
    ]
    return pd.DataFrame(rows).set_index("indicator")


def _row(key: str, measured: Measured, facts: pd.DataFrame) -> dict[str, object]:
    target, unit = PLAN_TARGETS[key]
    fact = facts.loc[key] if key in facts.index else None
    choice = choose(target, measured, fact)
    has_fact = fact is not None and bool(np.isfinite(float(fact["value"])))
    basis = {lang: basis_text(measured, fact, choice, lang) for lang in ("en", "zh")}
    if facts.empty and (measured.lower_bound or not np.isfinite(measured.value)):
        # A published figure would be used here; say there is none rather than stay silent.
        for lang, sep in (("en", "; "), ("zh", "；")):
            basis[lang] += sep + label("basis_no_facts", lang)
    return {
        "value": choice.value,
        "target": target,
        "unit": unit,
        "gap": target - choice.value if choice.known else np.nan,
        "met": choice.met,
        "basis": basis["en"],
        "basis_zh": basis["zh"],
        "computed": measured.value,
        "lower_bound": choice.lower_bound,
        "comparable": choice.comparable,
        "published": float(fact["value"]) if has_fact and fact is not None else np.nan,
        "published_year": fact["year"] if has_fact and fact is not None else pd.NA,
        "published_source": fact["source"] if has_fact and fact is not None else "",
        "target_source": PLAN_SOURCE,
    }


def _in_district(gdf: gpd.GeoDataFrame, layers: Layers, crs: str) -> gpd.GeoDataFrame:
    area = layers["boundary"].to_crs(crs).union_all()
    g = gdf.to_crs(crs)
    return g[shapely.intersects(g.geometry.values, area)]


def _recorded(total: float, column: pd.Series, what: str, lower_bound: bool) -> Measured:
    """An indicator summed from a capacity column: unknown (NaN), not 0, when none is recorded."""
    n = int(column.notna().sum())
    if n == 0:
        return Measured(np.nan, "basis_not_recorded", {"what": what}, lower_bound)
    values = {"what": what, "n": n, "total": len(column)}
    return Measured(total, "basis_recorded", values, lower_bound)


def _population(sub: gpd.GeoDataFrame) -> tuple[float, Measured | None]:
    """The census total, and the unknown per-resident value when it cannot divide.

    A total over subdistricts some of which lack a population would overstate
    every per-resident figure, so a missing value anywhere makes them unknown.
    """
    pop = pd.to_numeric(sub["population"], errors="coerce")
    missing = int(pop.isna().sum())
    if missing:
        values: dict[str, object] = {"n": missing, "total": len(pop)}
        return np.nan, Measured(np.nan, "basis_population_missing", values)
    total = float(pop.sum())
    if not total > 0:
        return total, Measured(np.nan, "basis_population_zero")
    return total, None


def _measured(layers: Layers, config: AnalysisConfig) -> dict[str, Measured]:
    """Per indicator: what the layers give (NaN where they do not carry it)."""
    crs = config.analysis_crs
    pop, no_pop = _population(layers["subdistricts"])
    area = layers["boundary"].to_crs(crs).union_all()
    parks = layers["parks"].to_crs(crs)
    # Union first: overlapping park polygons (a strip park along a bigger one) count once.
    park_m2 = float(shapely.area(shapely.intersection(parks.union_all(), area)))
    fac = _in_district(layers["facilities"], layers, crs)
    existing = fac[fac["status"] == "existing"]
    health = existing[existing["category"].isin(HEALTH_CATEGORIES)]
    elderly = existing[existing["category"] == "elderly_care"]
    schools = fac[
        fac["category"].isin(SCHOOL_CATEGORIES)
        & fac["status"].isin(["planned", "under_construction"])
    ]
    # Sums over incomplete layers (the shipped sample) are lower bounds.
    parks_low = not is_complete(layers["parks"])
    fac_low = not is_complete(layers["facilities"])
    per_resident = {
        "park_m2_per_resident": no_pop or Measured(park_m2 / pop, "basis_park_area", {}, parks_low),
        "doctors_per_1000": no_pop
        or _recorded(1000 * health["doctors"].sum() / pop, health["doctors"], "doctors", fac_low),
    }
    return {
        **per_resident,
        "elderly_care_beds": _recorded(
            float(elderly["beds"].sum()), elderly["beds"], "beds", fac_low
        ),
        "new_public_school_places": Measured(
            float(schools["places"].sum()), "basis_school_places", {}, fac_low
        ),
        "old_communities_renovated": Measured(np.nan, "basis_renovated"),
    }


__all__ = [
    "Capacity",
    "IndicatorValue",
    "Measured",
    "basis_text",
    "capacity_2sfca",
    "choose",
    "indicators",
    "measure_capacity",
    "park_area_per_resident",
]
