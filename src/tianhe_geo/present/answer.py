"""The report's first page: how far the district is from its plan, where, and what next.

For every 2025 target and every standard: where the district stands, the
gap, the subdistricts furthest behind with the residents they leave out, and
what the figure rests on. A share from a sample layer is a lower bound and
reads as one ("at least 29.6 %", "a gap of at most 60.4 points"), never as a
finding that a target is missed. The siting answers are the suggested next
step. Every word comes from :mod:`tianhe_geo.foundation.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from ..data.schemas import is_complete
from ..foundation.i18n import label, standard_title
from ..plan.run import PlanAnalysis
from ..plan.siting_questions import SitingRun
from .report_views import (
    col,
    completeness_short,
    fmt,
    indicator_name,
    indicator_standing,
    indicator_unit,
    share_text,
    target_text,
)
from .tables import pct

#: Subdistricts named as furthest behind, per standard.
BEHIND_N = 3


def furthest_behind(
    result: PlanAnalysis, key: str, names: pd.Series, n: int = BEHIND_N
) -> pd.DataFrame:
    """The subdistricts with the lowest share reached on a standard.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    key : str
        Standard key.
    names : pandas.Series
        Subdistrict label by code.
    n : int, default 3
        How many.

    Returns
    -------
    pandas.DataFrame
        Indexed by subdistrict code: ``name``, ``share`` (0-1),
        ``uncovered_pop``; lowest share first, ties broken by more residents
        not reached, then by code.
    """
    out = result.results[key]
    (radius,) = out.thresholds
    s = out.summary.drop(index="district", errors="ignore")
    frame = pd.DataFrame(
        {
            "name": [names.get(c, c) for c in s.index],
            "share": s[f"share_{radius:g}"].to_numpy(),
            "uncovered_pop": s[f"uncovered_pop_{radius:g}"].to_numpy(),
            "code": s.index.astype(str),
        },
        index=s.index,
    ).dropna(subset=["share"])
    ranked = frame.sort_values(["share", "uncovered_pop", "code"], ascending=[True, False, True])
    return ranked.drop(columns="code").head(n)


def _behind_text(result: PlanAnalysis, key: str, names: pd.Series, lang: str) -> str:
    rows = furthest_behind(result, key, names)
    sep = "；" if lang == "zh" else "; "
    return sep.join(
        label(
            "behind_one",
            lang,
            name=r.name,
            share=pct(r.share),
            uncovered=fmt(r.uncovered_pop, lang, 0),
        )
        for r in rows.itertuples()
    )


def _gap_pp(result: PlanAnalysis, key: str) -> float:
    """Target minus district share, in percentage points; NaN without a target."""
    row = result.standards.loc[key]
    if row["target"] is None or pd.isna(row["target"]):
        return float("nan")
    return float(100 * (row["target"] - row["share"]))


def ranked_standards(result: PlanAnalysis) -> list[str]:
    """Standards by gap: those with a target, largest gap first; then by residents not reached."""
    keys = list(result.standards.index)
    with_target = sorted(
        (k for k in keys if not pd.isna(_gap_pp(result, k))), key=lambda k: -_gap_pp(result, k)
    )
    rest = sorted(
        (k for k in keys if pd.isna(_gap_pp(result, k))),
        key=lambda k: -float(result.standards.loc[k, "uncovered_pop"]),
    )
    return with_target + rest


def standards_answer(result: PlanAnalysis, names: pd.Series, lang: str) -> pd.DataFrame:
    """Every standard, largest gap first: share, target, gap, residents, who is behind, data.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    names : pandas.Series
        Subdistrict label by code.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    pandas.DataFrame
        Indexed by standard name.
    """
    rows = {}
    for key in ranked_standards(result):
        r, c = result.standards.loc[key], result.rests_on[key]
        gap = _gap_pp(result, key)
        gap_text = "—" if pd.isna(gap) else label("pp", lang, v=fmt(max(gap, 0.0), lang, 1))
        if c.lower_bound and not pd.isna(gap):
            gap_text = label("gap_at_most", lang, gap=gap_text)
        rows[standard_title(result.config.standard(key), lang)] = {
            col("share", lang): share_text(r["share"], c.lower_bound, lang),
            col("target", lang): target_text(r["target"], lang),
            col("gap", lang): gap_text,
            col("uncovered", lang): fmt(r["uncovered_pop"], lang, 0),
            col("behind", lang): _behind_text(result, key, names, lang),
            col("completeness", lang): completeness_short(c, lang),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(col("standard", lang))


def targets_answer(result: PlanAnalysis, names: pd.Series, lang: str) -> pd.DataFrame:
    """The 2025 targets: where the district stands, the gap, the verdict with its reason.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    names : pandas.Series
        Subdistrict label by code (the park area's furthest behind).
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator name, judged ones first, then by gap.
    """
    ind = result.indicators
    rows = {}
    for key, r in ind.iterrows():
        unit = indicator_unit(str(key), lang, str(r["unit"]))
        rows[indicator_name(str(key), lang)] = {
            col("standing", lang): "—"
            if pd.isna(r["value"])
            else f"{fmt(r['value'], lang)} {unit}",
            col("target", lang): f"{fmt(r['target'], lang)} {unit}",
            col("gap", lang): "—"
            if pd.isna(r["gap"])
            else f"{fmt(max(r['gap'], 0.0), lang)} {unit}",
            col("met", lang): indicator_standing(str(key), r, lang),
            col("behind", lang): _park_behind(result, names, lang)
            if key == "park_m2_per_resident"
            else "—",
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(col("indicator", lang))


def _park_behind(result: PlanAnalysis, names: pd.Series, lang: str) -> str:
    """The subdistricts with the least park area per resident in the parks layer (a lower bound)."""
    low = result.park_m2.sort_values(kind="stable").head(BEHIND_N)
    unit = indicator_unit("park_m2_per_resident", lang, "m²")
    sep = "；" if lang == "zh" else "; "
    text = sep.join(f"{names.get(c, c)} {fmt(v, lang, 1)} {unit}" for c, v in low.items())
    return text + label("chart_lower_bound", lang)


def lead(result: PlanAnalysis, names: pd.Series, lang: str) -> list[str]:
    """The answer in a few sentences: targets judged and not, each targeted standard's gap.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    names : pandas.Series
        Subdistrict label by code.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    list of str
        Paragraphs.
    """
    ind = result.indicators
    sep = "、" if lang == "zh" else ", "
    judged = [
        k for k in ind.index if ind.loc[k, "met"] is not None and not pd.isna(ind.loc[k, "met"])
    ]
    items = [f"{indicator_name(k, lang)} {indicator_standing(k, ind.loc[k], lang)}" for k in judged]
    others = [indicator_name(k, lang) for k in ind.index if k not in judged]
    out = [label("lead_judged", lang, n=len(judged), items=sep.join(items) or "—")]
    if others:
        out[-1] += " " * (lang == "en") + label(
            "lead_not_judged", lang, n=len(others), items=sep.join(others)
        )
    lower = False
    for key in ranked_standards(result):
        gap = _gap_pp(result, key)
        if pd.isna(gap):
            continue
        c = result.rests_on[key]
        lower |= c.lower_bound
        values = {
            "standard": standard_title(result.config.standard(key), lang),
            "share": pct(result.standards.loc[key, "share"]),
            "target": target_text(result.standards.loc[key, "target"], lang),
            "gap": fmt(max(gap, 0.0), lang, 1),
            "behind": _behind_text(result, key, names, lang),
        }
        out.append(
            label("lead_standard" if c.lower_bound else "lead_standard_complete", lang, **values)
        )
    if lower:
        out.append(label("lead_lower_bound", lang))
    return out


def next_steps(
    sitings: Sequence[SitingRun],
    layers: Mapping[str, gpd.GeoDataFrame],
    lang: str,
    spacing_m: float,
) -> list[str]:
    """The suggested next steps: each siting answer, then completing the sample layers.

    Parameters
    ----------
    sitings : sequence of SitingRun
        Siting answers.
    layers : mapping
        Loaded layers (which are samples).
    lang : {'zh', 'en'}
        Language.
    spacing_m : float
        Spacing of the siting candidates, metres.

    Returns
    -------
    list of str
        One step each.
    """
    steps = []
    for s in sitings:
        r = s.result
        steps.append(
            label(
                "next_mclp",
                lang,
                question=s.text(lang),
                sites=len(r.chosen),
                before=pct(r.share_before),
                after=pct(r.share_after),
                newly=fmt(r.covered_after - r.covered_before, lang, 0),
                file=f"siting_{s.key}_{lang}.html",
            )
        )
    if sitings:
        steps.append(label("next_note", lang, spacing=spacing_m))
    samples = [
        label(f"layer_{k}", lang)
        for k in ("parks", "facilities")
        if k in layers and not is_complete(layers[k])
    ]
    if samples:
        steps.append(
            label("next_complete", lang, layers=("、" if lang == "zh" else ", ").join(samples))
        )
    return steps
