"""The main job: run the plan analysis on the shipped data and write outputs.

Outputs (in the chosen folder): ``coverage_report.md`` (readable tables with
method notes), ``coverage_by_subdistrict.csv``, ``standards.csv``,
``indicators.csv``, ``uncovered.gpkg`` (one layer per standard) and the
interactive maps.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .analysis import PlanAnalysis, analyse
from .config import DEFAULT_CONFIG, STANDARDS, AnalysisConfig
from .io import write_text, write_vector
from .layers import load_layers

logger = logging.getLogger(__name__)


def coverage_by_subdistrict(result: PlanAnalysis, names: pd.Series) -> pd.DataFrame:
    """One row per subdistrict and standard: population, covered, share.

    Parameters
    ----------
    result : PlanAnalysis
        Output of :func:`tianhe_geo.analysis.analyse`.
    names : pandas.Series
        Subdistrict name by code (``district`` is added).

    Returns
    -------
    pandas.DataFrame
        Long table: ``subdistrict``, ``name``, ``standard``, ``radius_m``,
        ``population``, ``covered_pop``, ``share``.
    """
    frames = []
    for key, out in result.results.items():
        r = f"{STANDARDS[key].radius_m:g}"
        s = out.summary
        frames.append(
            pd.DataFrame(
                {
                    "subdistrict": s.index,
                    "name": s.index.map(lambda c: names.get(c, "天河区 Tianhe District")),
                    "standard": key,
                    "radius_m": STANDARDS[key].radius_m,
                    "population": s["population"].round(0).to_numpy(),
                    "covered_pop": s[f"covered_pop_{r}"].round(0).to_numpy(),
                    "share": s[f"share_{r}"].round(4).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _markdown(result: PlanAnalysis, by_sub: pd.DataFrame, config: AnalysisConfig) -> str:
    std = result.standards.copy()
    std["share"] = (100 * std["share"]).round(1).astype(str) + " %"
    std["target"] = std["target"].map(lambda v: "—" if pd.isna(v) else f"> {100 * v:.0f} %")
    std["uncovered_pop"] = std["uncovered_pop"].round(0).astype(int)
    ind = result.indicators.copy()
    ind["value"] = ind["value"].round(2)
    ind["gap"] = ind["gap"].round(2)
    wide = by_sub.pivot(index="name", columns="standard", values="share").mul(100).round(1)
    parts = [
        "# Tianhe coverage report / 天河区设施覆盖报告",
        "",
        f"Distance method: **straight line × {config.detour_factor:g}** (no street network "
        "given; straight-line distance understates walking distance, so shares are upper "
        "bounds). Residents: modelled 100 m population grid from the 2020 census by "
        "subdistrict (dasymetric). Subdistrict polygons are approximate. Facilities up to "
        f"{config.facility_buffer_m:g} m outside the district are counted. The shipped park and "
        "facility layers are incomplete (see data/geo/SOURCES.md), so shares are lower bounds "
        "of what the real facilities give; capacities (doctors, beds) are mostly unknown, which "
        "makes the 2SFCA and capacity indicators zero, not measured.",
        "",
        "## Standards (district)",
        "",
        std[
            ["name_en", "radius_m", "share", "target", "met", "uncovered_pop", "source"]
        ].to_markdown(),
        "",
        "## Plan indicators (2025 targets)",
        "",
        ind[["value", "target", "unit", "gap", "met", "basis"]].to_markdown(),
        "",
        "## Share covered by subdistrict (%)",
        "",
        wide.to_markdown(),
        "",
    ]
    return "\n".join(parts)


def build_all(
    out_dir: str | os.PathLike[str],
    overrides: dict[str, str] | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> list[Path]:
    """Run the analysis on the shipped (or overridden) layers and write every output.

    Parameters
    ----------
    out_dir : path-like
        Folder to write into (created if missing).
    overrides : dict, optional
        Layer name -> replacement file.
    config : AnalysisConfig
        Settings.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    layers = load_layers(overrides)
    result = analyse(layers, config)
    names = layers["subdistricts"].set_index("code")["name_zh"]
    by_sub = coverage_by_subdistrict(result, names)
    written = [
        write_text(_markdown(result, by_sub, config), out / "coverage_report.md"),
        write_text(by_sub.to_csv(index=False), out / "coverage_by_subdistrict.csv"),
        write_text(result.standards.to_csv(), out / "standards.csv"),
        write_text(result.indicators.to_csv(), out / "indicators.csv"),
        _write_uncovered(result, out / "uncovered.gpkg"),
    ]
    try:
        from .maps import build_maps
    except ImportError:  # maps module not available in this build
        return written
    written += build_maps(layers, result, out, config)
    return written


def _write_uncovered(result: PlanAnalysis, path: Path) -> Path:
    frames = []
    for key, out in result.results.items():
        unc = out.uncovered.copy()
        unc["standard"] = key
        frames.append(unc)
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    return write_vector(gdf.to_crs("EPSG:4326"), path, layer="uncovered")
