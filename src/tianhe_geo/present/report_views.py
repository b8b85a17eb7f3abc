"""The report's tables in plain words, in the report's language.

The views of :mod:`tianhe_geo.present.tables` keep machine column names for
the command line and the CSV files; these take the same results and name
every row and column from :mod:`tianhe_geo.foundation.i18n`, write shares as
percentages, say when a share is a lower bound, and give the reason beside
every "met: unknown". None computes anything the plan has not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from ..foundation.i18n import LABELS, label, number, standard_title
from ..plan.completeness import Completeness
from ..plan.run import PlanAnalysis, ScenarioRun
from ..plan.siting_questions import SitingRun
from .tables import completeness_text, describe_layers, pct


def col(key: str, lang: str) -> str:
    """A column header (``col_<key>``) in ``lang``."""
    return label(f"col_{key}", lang)


def fmt(value: float, lang: str, digits: int = 2) -> str:
    """A table cell's number: rounded to ``digits``, grouped in English; NaN -> dash."""
    if value is None or pd.isna(value):
        return "—"
    return number(round(float(value), digits), lang)


def indicator_name(key: str, lang: str) -> str:
    """A plan indicator's name in ``lang`` (its key when the table has none)."""
    return label(f"ind_{key}", lang) if f"ind_{key}" in LABELS else key


def indicator_unit(key: str, lang: str, unit: str) -> str:
    """A plan indicator's unit in ``lang`` (``unit`` as given when the table has none)."""
    return label(f"unit_{key}", lang) if f"unit_{key}" in LABELS else unit


def indicator_standing(key: str, row: pd.Series, lang: str) -> str:
    """Whether an indicator meets its target, and why not or why it cannot be told.

    Parameters
    ----------
    key : str
        Indicator key.
    row : pandas.Series
        Its row of :func:`~tianhe_geo.plan.indicators.indicators`.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        "met", "not met: 6.47 m² per resident short", or "cannot be judged: ..."
        with the reason (another period, not recorded, a lower bound).
    """
    unit = indicator_unit(key, lang, str(row["unit"]))
    met, value = row["met"], row["value"]
    if met is not None and not pd.isna(met):
        if bool(met):
            return label("stand_met", lang)
        return label("stand_not_met", lang, gap=fmt(row["target"] - value, lang), unit=unit)
    if pd.isna(value):
        # The layers cannot hold it at all (a count from the district's reports), or they
        # could but no facility records it.
        absent = str(row["basis"]).startswith(label("basis_renovated", "en"))
        return label("stand_not_in_layers" if absent else "stand_not_measured", lang)
    if not bool(row.get("comparable", True)):
        return label("stand_not_comparable", lang)
    return label("stand_lower_bound_short", lang, value=f"{fmt(value, lang)} {unit}")


def indicators_plain(result: PlanAnalysis, lang: str) -> pd.DataFrame:
    """The plan indicators, one row each, in words.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator name: value, target, unit, gap, met (with the
        reason when unknown), how it was obtained, the layers' value, the
        published value.
    """
    ind = result.indicators
    basis = ind["basis_zh"] if lang == "zh" else ind["basis"]
    rows = {
        indicator_name(k, lang): {
            col("value", lang): fmt(r["value"], lang),
            col("target", lang): fmt(r["target"], lang),
            col("unit", lang): indicator_unit(k, lang, str(r["unit"])),
            col("gap", lang): fmt(r["gap"], lang),
            col("met", lang): indicator_standing(k, r, lang),
            col("basis", lang): str(basis[k]),
            col("from_layers", lang): fmt(r["computed"], lang),
            col("published", lang): _published(r, lang),
        }
        for k, r in ind.iterrows()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(col("indicator", lang))


def _published(row: pd.Series, lang: str) -> str:
    if pd.isna(row["published"]):
        return "—"
    return f"{fmt(row['published'], lang)} ({row['published_year']}, {row['published_source']})"


def share_text(share: float, lower_bound: bool, lang: str) -> str:
    """A share as a percentage, marked as a lower bound when it is one."""
    text = pct(share)
    return label("share_at_least", lang, share=text) if lower_bound and not pd.isna(share) else text


def target_text(target: float | None, lang: str) -> str:
    """A target share as ``> 90 %``, or "no target"."""
    if target is None or pd.isna(target):
        return label("no_target", lang)
    return f"> {100 * target:.0f} %"


def met_text(met: object, target: float | None, lower_bound: bool, lang: str) -> str:
    """Met yes / no, or unknown with its reason; a dash without a target."""
    if target is None or pd.isna(target):
        return "—"
    if met is None or pd.isna(met):
        return label("met_unknown_lower" if lower_bound else "met_unknown", lang)
    return label("met_yes" if bool(met) else "met_no", lang)


def standards_plain(result: PlanAnalysis, lang: str) -> pd.DataFrame:
    """Every standard for the whole district, in words.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    pandas.DataFrame
        Indexed by standard name: radius, share (a lower bound says so),
        target, met (with the reason when unknown), what it rests on,
        residents not reached, source.
    """
    rows = {}
    for key, r in result.standards.iterrows():
        std, c = result.config.standard(str(key)), result.rests_on[str(key)]
        rows[standard_title(std, lang)] = {
            col("radius", lang): fmt(r["radius_m"], lang, 0),
            col("share", lang): share_text(r["share"], c.lower_bound, lang),
            col("target", lang): target_text(r["target"], lang),
            col("met", lang): met_text(r["met"], r["target"], c.lower_bound, lang),
            col("completeness", lang): completeness_text(c, std, lang),
            col("uncovered", lang): fmt(r["uncovered_pop"], lang, 0),
            col("source", lang): str(r["source"]),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(col("standard", lang))


def subdistricts_plain(
    by_sub: pd.DataFrame, result: PlanAnalysis, lang: str, total: str
) -> pd.DataFrame:
    """Share reached (%) per subdistrict (rows) and standard (columns), the district first.

    Parameters
    ----------
    by_sub : pandas.DataFrame
        From :func:`~tianhe_geo.present.tables.coverage_by_subdistrict`.
    result : PlanAnalysis
        Analysis results (the standards' names).
    lang : {'zh', 'en'}
        Language.
    total : str
        The district row's label: it comes first, subdistricts follow by name.

    Returns
    -------
    pandas.DataFrame
        Percentages with one decimal.
    """
    wide = by_sub.pivot(index="name", columns="standard", values="share").mul(100).round(1)
    wide = wide[[k for k in result.standards.index if k in wide.columns]]
    order = [total, *sorted(n for n in wide.index if n != total)]
    wide = wide.reindex([n for n in order if n in wide.index])
    wide.columns = [standard_title(result.config.standard(k), lang) for k in wide.columns]
    return wide.map(lambda v: fmt(v, lang, 1)).rename_axis(col("subdistrict", lang))


def scenario_plain(run: ScenarioRun, result: PlanAnalysis, lang: str) -> pd.DataFrame:
    """A scenario's before / after per standard, named in ``lang``."""
    t = run.comparison.standards
    names = [standard_title(result.config.standard(str(k)), lang) for k in t.index]
    frame = pd.DataFrame(
        {
            col("before", lang): t["share_before"].map(pct).to_numpy(),
            col("after", lang): t["share_after"].map(pct).to_numpy(),
            col("change_pp", lang): [fmt(v, lang) for v in t["change_pp"]],
            col("gained", lang): [fmt(v, lang, 0) for v in t["gained_pop"]],
            col("lost", lang): [fmt(v, lang, 0) for v in t["lost_pop"]],
        },
        index=pd.Index(names, name=col("standard", lang)),
    )
    return frame


def solver_text(status: str, lang: str) -> str:
    """The solver's status in words (``Optimal`` -> "optimal")."""
    if status.lower() == "optimal":
        return label("solver_optimal", lang)
    return label("solver_other", lang, status=status)


def siting_plain(runs: Sequence[SitingRun], lang: str) -> pd.DataFrame:
    """One row per siting question, in words."""
    rows = {
        r.text(lang): {
            col("new_sites", lang): str(len(r.result.chosen)),
            col("before", lang): pct(r.result.share_before),
            col("after", lang): pct(r.result.share_after),
            col("newly", lang): fmt(r.result.covered_after - r.result.covered_before, lang, 0),
            col("status", lang): solver_text(str(r.result.status), lang),
            col("mip_gap", lang): f"{100 * r.result.gap:.2f} %",
            col("solve_s", lang): fmt(r.result.solve_seconds, lang, 1),
        }
        for r in runs
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(col("question", lang))


_ROWS = re.compile(r"\((\d+) rows\)")


def sources_plain(layers: Mapping[str, gpd.GeoDataFrame], lang: str) -> pd.DataFrame:
    """Per layer: features, stated accuracy, approximate rows, completeness, main source."""
    table = describe_layers(layers)
    names = [label(f"layer_{k}", lang) if f"layer_{k}" in LABELS else str(k) for k in table.index]
    return pd.DataFrame(
        {
            col("features", lang): [fmt(v, lang, 0) for v in table["features"]],
            col("accuracy", lang): table["accuracy_m"].to_numpy(),
            col("approximate", lang): [fmt(v, lang, 0) for v in table["approximate"]],
            col("complete", lang): [
                label("met_yes" if c else "met_no", lang) for c in table["complete"]
            ],
            col("main_source", lang): [
                _ROWS.sub(lambda m: "(" + label("rows", lang, n=int(m[1])) + ")", s)
                for s in table["main_source"]
            ],
            col("distinct_sources", lang): [fmt(v, lang, 0) for v in table["distinct_sources"]],
        },
        index=pd.Index(names, name=col("layer", lang)),
    )


def completeness_short(c: Completeness, lang: str) -> str:
    """What a figure rests on in a few words: taken as complete, or a lower bound and why."""
    if c.declared_complete:
        return label("complete_short_as_given", lang, n=c.facilities)
    if c.expected is None:
        return label("complete_short_no_norm", lang, n=c.facilities)
    key = "complete_short_meets" if c.normed >= c.expected else "complete_short_below"
    return label(key, lang, n=c.facilities, expected=c.expected)
