"""Tables as people read them: the views the report, the command line and the CSV files share.

Each view takes a result of :mod:`tianhe_geo.plan` and returns a plain frame
ready to print or write; none computes anything the plan has not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from ..analysis.distance import DistanceMethod
from ..analysis.siting import SitingResult
from ..data.schemas import is_complete
from ..foundation.crs import STORAGE_CRS
from ..foundation.i18n import code_label, label
from ..foundation.standards import Standard
from ..plan.completeness import Completeness
from ..plan.indicators import Capacity
from ..plan.run import PlanAnalysis, ScenarioRun
from ..plan.siting_questions import SitingRun


def subdistrict_names(subdistricts: gpd.GeoDataFrame) -> pd.Series:
    """Bilingual subdistrict labels by code, e.g. ``"五山街道 Wushan"``.

    Parameters
    ----------
    subdistricts : geopandas.GeoDataFrame
        The subdistricts layer (``code``, ``name_zh``, ``name_en``).

    Returns
    -------
    pandas.Series
        Label indexed by code.
    """
    short_en = subdistricts["name_en"].str.replace(" Subdistrict", "", regex=False)
    return pd.Series(
        (subdistricts["name_zh"] + " " + short_en).to_numpy(), index=subdistricts["code"]
    )


def area_label(boundary: gpd.GeoDataFrame | None = None) -> str:
    """The label of the whole study area's row in per-subdistrict tables.

    Parameters
    ----------
    boundary : geopandas.GeoDataFrame, optional
        The study area's boundary layer: its own names (``name_zh``,
        ``name_en``) label the row, whatever the area.

    Returns
    -------
    str
        E.g. ``"天河区 Tianhe District"``; a generic label without a boundary.
    """
    if boundary is not None and len(boundary):
        first = boundary.iloc[0]
        return f"{first['name_zh']} {first['name_en']}"
    return f"{label('district_total', 'zh')} {label('district_total', 'en')}"


def coverage_by_subdistrict(
    result: PlanAnalysis, names: pd.Series, total: str | None = None
) -> pd.DataFrame:
    """One row per subdistrict and standard: population, covered, share.

    Parameters
    ----------
    result : PlanAnalysis
        Output of :func:`tianhe_geo.plan.run.analyse`.
    names : pandas.Series
        Subdistrict name by code.
    total : str, optional
        Label of the ``district`` row (see :func:`area_label`).

    Returns
    -------
    pandas.DataFrame
        Long table: ``subdistrict``, ``name``, ``standard``, ``radius_m``,
        ``population``, ``covered_pop``, ``share``, ``facilities`` (how many
        the share rests on) and ``completeness`` (their verdict, see
        :data:`~tianhe_geo.plan.completeness.VERDICTS`).
    """
    frames = []
    total = total or area_label()
    for key, out in result.results.items():
        (radius,) = out.thresholds
        r = f"{radius:g}"
        s = out.summary
        frames.append(
            pd.DataFrame(
                {
                    "subdistrict": s.index,
                    "name": s.index.map(lambda c: names.get(c, total)),
                    "standard": key,
                    "radius_m": radius,
                    "population": s["population"].round(0).to_numpy(),
                    "covered_pop": s[f"covered_pop_{r}"].round(0).to_numpy(),
                    "share": s[f"share_{r}"].round(4).to_numpy(),
                    "facilities": result.rests_on[key].facilities,
                    "completeness": result.rests_on[key].verdict,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def summary_view(summary: pd.DataFrame, names: pd.Series, total: str | None = None) -> pd.DataFrame:
    """A coverage summary for printing: names, shares in %, persons rounded.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``CoverageResult.summary``.
    names : pandas.Series
        Subdistrict name by code.
    total : str, optional
        Label of the ``district`` row (see :func:`area_label`).

    Returns
    -------
    pandas.DataFrame
        The summary with a ``name`` column, ``share_%_<t>`` in percent.
    """
    view = summary.copy()
    total = total or area_label()
    view.insert(0, "name", [names.get(c, total) for c in view.index])
    for col in view.columns:
        if col.startswith("share_"):
            view[col] = (100 * view[col]).round(1)
        elif col.startswith(("covered_pop_", "uncovered_pop_", "unknown_pop")) or col == (
            "population"
        ):
            view[col] = view[col].round(0).astype(int)
    return view.rename(columns=lambda c: c.replace("share_", "share_%_"))


def method_text(method: DistanceMethod, lang: str = "en") -> str:
    """How distances were measured, and polygons reached, in a few words (``straight line × 1.3``).

    Parameters
    ----------
    method : DistanceMethod
        The method a result carries.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        The words.
    """
    key = {"straight_line": "method_straight", "network": "method_network"}.get(
        method.kind, "method_table"
    )
    text = label(key, lang, detour=method.detour_factor, snap=method.max_snap_m or 0)
    text += label("method_per_facility", lang) if method.per_facility_radius else ""
    if method.polygons == "edge":
        text += label("method_polygons_edge", lang)
    elif method.polygons == "access_points":
        text += label("method_polygons_access", lang, spacing=method.access_spacing_m or 0)
    return text


def completeness_text(c: Completeness, std: Standard, lang: str = "en") -> str:
    """What a standard's figure rests on, in words.

    Parameters
    ----------
    c : Completeness
        From :func:`tianhe_geo.plan.completeness.completeness`.
    std : Standard
        The standard (its kinds of facility name them).
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        E.g. "13 Kindergarten counted; at least 186 expected for 2,241,800
        residents (GB 50180-2018); the layer is a sample: a lower bound".
    """
    sep = "；" if lang == "zh" else "; "
    what = "/".join(code_label(std.column, v, lang) for v in std.values)
    parts = [label("rests_on", lang, n=c.facilities, what=what)]
    if c.expected is None:
        parts.append(label("no_norm", lang))
    else:
        cite = ("、" if lang == "zh" else ", ").join(label(k, lang) for k in c.cites)
        values = {"expected": c.expected, "population": round(c.population), "cite": cite}
        parts.append(label("norm_expects", lang, **values))
        if c.normed != c.facilities:
            parts[-1] += ("，" if lang == "zh" else ", ") + label(
                "norm_covers", lang, normed=c.normed
            )
    parts.append(label("verdict_as_given" if c.declared_complete else "verdict_sample", lang))
    return sep.join(parts)


def capacity_basis(c: Capacity, lang: str = "en") -> str:
    """What a 2SFCA capacity score rests on, in words.

    Parameters
    ----------
    c : Capacity
        The measure (how many facilities record the capacity, of how many).
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        E.g. "rests on the 12 of 31 facilities whose beds are recorded; a
        lower bound, since the shipped layer is incomplete".
    """
    sep = "；" if lang == "zh" else "; "
    what = label(f"what_{c.capacity}", lang)
    text = label("capacity_basis", lang, n=c.recorded, of=c.facilities, what=what)
    return text if c.complete else text + sep + label("basis_lower_bound", lang)


def pct(v: float) -> str:
    """A share (0-1) as a percentage with one decimal, or a dash."""
    return "—" if pd.isna(v) else f"{100 * v:.1f} %"


def met_label(met: bool | None) -> str:
    """How a met flag reads in tables: yes, no or unknown."""
    if met is None or pd.isna(met):
        return "unknown"
    return "yes" if met else "no"


def standards_view(result: PlanAnalysis, lang: str = "en") -> pd.DataFrame:
    """The standards table as the report shows it (one row per standard)."""
    std = result.standards
    return pd.DataFrame(
        {
            "standard": std["name_en"],
            "radius_m": std["radius_m"].map("{:g}".format),
            "share": std["share"].map(pct),
            "target": std["target"].map(lambda v: "—" if pd.isna(v) else f"> {100 * v:.0f} %"),
            "met": [
                "—" if pd.isna(t) else met_label(m)
                for t, m in zip(std["target"], std["met"], strict=True)
            ],
            "rests_on": [
                completeness_text(result.rests_on[k], result.config.standard(k), lang)
                for k in std.index
            ],
            "uncovered_pop": std["uncovered_pop"].round(0).astype(int),
            "source": std["source"],
        },
        index=std.index,
    )


def indicators_view(result: PlanAnalysis) -> pd.DataFrame:
    """The indicator table as the report shows it."""
    ind = result.indicators
    published = [
        "—" if pd.isna(v) else f"{v:,.2f} ({y}, {src})"
        for v, y, src in zip(
            ind["published"], ind["published_year"], ind["published_source"], strict=True
        )
    ]
    return ind[["value", "target", "unit", "gap", "met", "basis"]].assign(
        met=ind["met"].map(met_label),
        value=ind["value"].round(2),
        gap=ind["gap"].round(2),
        from_layers=ind["computed"].round(2),
        published=published,
    )


def wide_shares(by_sub: pd.DataFrame) -> pd.DataFrame:
    """Share covered (%) per subdistrict (rows) and standard (columns)."""
    return by_sub.pivot(index="name", columns="standard", values="share").mul(100).round(1)


def scenario_view(run: ScenarioRun) -> pd.DataFrame:
    """A scenario's before / after per standard."""
    t = run.comparison.standards
    return pd.DataFrame(
        {
            "share_before": t["share_before"].map(pct),
            "share_after": t["share_after"].map(pct),
            "change_pp": t["change_pp"].round(2),
            "gained_pop": t["gained_pop"].round(0).astype(int),
            "lost_pop": t["lost_pop"].round(0).astype(int),
        }
    )


def siting_table(
    runs: Sequence[SitingRun], lang: str = "en", texts: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per siting question: sites, coverage before / after, solver status.

    Parameters
    ----------
    runs : sequence of SitingRun
        Answered questions.
    lang : {'zh', 'en'}
        Language of the questions.
    texts : sequence of str, optional
        The questions' words (default: each question's own, with its radius).

    Returns
    -------
    pandas.DataFrame
        Indexed by question.
    """
    texts = list(texts) if texts is not None else [r.text(lang) for r in runs]
    rows = {
        text: {
            "new_sites": len(r.result.chosen),
            "share_before": pct(r.result.share_before),
            "share_after": pct(r.result.share_after),
            "newly_covered": round(r.result.covered_after - r.result.covered_before),
            "status": r.result.status,
            "gap": f"{100 * r.result.gap:.2f} %",
            "solve_s": round(r.result.solve_seconds, 1),
        }
        for text, r in zip(texts, runs, strict=True)
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("question")


def sites_lonlat(result: SitingResult) -> gpd.GeoDataFrame:
    """The chosen sites in WGS-84 with ``lon`` / ``lat`` columns (6 decimals, ~0.1 m).

    Parameters
    ----------
    result : SitingResult
        A siting answer.

    Returns
    -------
    geopandas.GeoDataFrame
        ``result.chosen`` in EPSG:4326 plus ``lon`` and ``lat``.
    """
    sites = result.chosen.to_crs(STORAGE_CRS)
    sites["lon"], sites["lat"] = sites.geometry.x.round(6), sites.geometry.y.round(6)
    return sites


def describe_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Per layer: feature count, stated positional accuracy, approximations, main sources.

    Parameters
    ----------
    layers : mapping
        Loaded layers (each has ``source`` and ``accuracy_m`` columns).

    Returns
    -------
    pandas.DataFrame
        Indexed by layer: ``features``, ``accuracy_m`` (min / median / max
        metres as text), ``approximate`` (rows flagged approximate, schematic
        or modelled), ``complete`` (see
        :func:`~tianhe_geo.data.schemas.is_complete`), ``main_source`` (the
        most frequent, cut to 70 characters, with its row count) and
        ``distinct_sources``.
    """
    rows = {}
    for name, gdf in layers.items():
        acc = pd.to_numeric(gdf.get("accuracy_m"), errors="coerce").dropna()
        flags = [c for c in ("approximate", "schematic", "modelled") if c in gdf.columns]
        approx = int(gdf[flags].astype(bool).any(axis=1).sum()) if flags else 0
        sources = gdf["source"].astype(str)
        top = sources.str.slice(0, 70).value_counts().head(1)
        rows[name] = {
            "features": len(gdf),
            "accuracy_m": (
                f"{acc.min():g} / {acc.median():g} / {acc.max():g}" if len(acc) else "—"
            ),
            "approximate": approx,
            "complete": is_complete(gdf),
            "main_source": "; ".join(f"{s}… ({n} rows)" for s, n in top.items()),
            "distinct_sources": int(sources.nunique()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("layer")
