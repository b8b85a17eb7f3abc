"""The main job: analyse the shipped (or the user's) layers and write every output.

:func:`build_all` is what ``make maps`` / ``tianhe-geo build`` runs: tables,
the report, the plan scenario, the siting questions and the maps. The pieces
are public so the CLI's narrower commands reuse them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .analysis import PlanAnalysis, analyse, site_for_standard
from .config import DEFAULT_CONFIG, AnalysisConfig
from .io import write_text, write_vector
from .layers import load_layers, subdistrict_names
from .network import WalkNetwork
from .report import (
    ScenarioRun,
    SitingRun,
    coverage_by_subdistrict,
    sites_lonlat,
    write_report,
)
from .scenario import Scenario, apply_scenario, compare

logger = logging.getLogger(__name__)

#: The siting questions the report answers: key -> (question, standard, model arguments).
SITING_QUESTIONS = {
    "pocket_parks_300m": (
        "Where should 10 pocket parks go to put the most residents within 300 m of green space?",
        "green-300",
        {"k": 10},
    ),
    "health_centres_1000m": (
        "How many community health centres bring everyone within 1,000 m of one?",
        "life15-health",
        {"target_share": 1.0},
    ),
}


def run_sitings(
    layers: dict[str, gpd.GeoDataFrame],
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    questions: Sequence[str] | None = None,
) -> list[SitingRun]:
    """Answer the report's siting questions (:data:`SITING_QUESTIONS`).

    Parameters
    ----------
    layers : dict
        Loaded layers.
    config : AnalysisConfig
        Settings.
    network : WalkNetwork, optional
        Street network.
    questions : sequence of str, optional
        Keys of :data:`SITING_QUESTIONS` (default: all).

    Returns
    -------
    list of SitingRun
        One per question.
    """
    runs = []
    for key in questions or SITING_QUESTIONS:
        question, std, kwargs = SITING_QUESTIONS[key]
        result, existing = site_for_standard(layers, std, config=config, network=network, **kwargs)
        runs.append(SitingRun(key, question, std, result, existing))
    return runs


def write_siting(
    out_dir: str | os.PathLike[str],
    layers: dict[str, gpd.GeoDataFrame],
    run: SitingRun,
    config: AnalysisConfig = DEFAULT_CONFIG,
    langs: Sequence[str] = ("zh", "en"),
) -> list[Path]:
    """Write a siting answer: the sites (GeoPackage, CSV) and a map per language.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : dict
        Loaded layers.
    run : SitingRun
        The answer.
    config : AnalysisConfig
        Settings (basemap).
    langs : sequence of str
        Map languages.

    Returns
    -------
    list of pathlib.Path
        ``siting_<key>.gpkg``, ``siting_<key>.csv``, ``siting_<key>_<lang>.html``.
    """
    from .mapping import new_map
    from .maps import siting_map

    out, r = Path(out_dir), run.result
    sites = sites_lonlat(r)
    written = [
        write_vector(sites.reset_index(names="site"), out / f"siting_{run.key}.gpkg"),
        write_text(
            pd.DataFrame(sites.drop(columns="geometry")).to_csv(), out / f"siting_{run.key}.csv"
        ),
    ]
    radius = config.standard(run.standard).radius_m
    for lang in langs:
        m = new_map(lang, config.tiles, config.offline)
        siting_map(layers, r, run.existing, radius, lang, config.tiles, m)
        written.append(_write_map(m, out / f"siting_{run.key}_{lang}.html"))
    return written


def run_scenario(
    layers: dict[str, gpd.GeoDataFrame],
    scenario: Scenario,
    key: str,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
) -> ScenarioRun:
    """Apply a scenario to the layers and compare before / after.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    scenario : Scenario
        The changes.
    key : str
        Short name for file names.
    config : AnalysisConfig
        Settings.
    network : WalkNetwork, optional
        Street network.

    Returns
    -------
    ScenarioRun
        Layers after and the comparison.
    """
    after = apply_scenario(layers, scenario)
    return ScenarioRun(key, scenario, after, compare(layers, after, config, network=network))


def write_scenario(
    out_dir: str | os.PathLike[str],
    run: ScenarioRun,
    config: AnalysisConfig = DEFAULT_CONFIG,
    langs: Sequence[str] = ("zh", "en"),
) -> list[Path]:
    """Write a scenario's tables, difference layer and maps.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    run : ScenarioRun
        From :func:`run_scenario`.
    config : AnalysisConfig
        Settings (basemap).
    langs : sequence of str
        Map languages.

    Returns
    -------
    list of pathlib.Path
        ``scenario_<key>_standards.csv``, ``..._by_subdistrict.csv``,
        ``..._indicators.csv``, ``..._diff.gpkg`` (layers ``diff`` and
        ``changes``) and ``scenario_<key>_<standard>_<lang>.html`` for every
        standard the scenario changes.
    """
    from .mapping import new_map
    from .maps import scenario_map

    out, c = Path(out_dir), run.comparison
    stem = f"scenario_{run.key}"
    written = [
        write_text(c.standards.to_csv(), out / f"{stem}_standards.csv"),
        write_text(c.by_subdistrict.to_csv(index=False), out / f"{stem}_by_subdistrict.csv"),
        write_text(c.indicators.to_csv(), out / f"{stem}_indicators.csv"),
        write_vector(c.diff, out / f"{stem}_diff.gpkg", layer="diff"),
    ]
    if len(c.changes):
        written.append(write_vector(c.changes, out / f"{stem}_changes.geojson"))
    moved = c.standards.index[(c.standards["gained_pop"] + c.standards["lost_pop"]) > 0]
    for key in moved:
        for lang in langs:
            m = new_map(lang, config.tiles, config.offline)
            scenario_map(run.layers, c, key, lang, config.tiles, m)
            written.append(_write_map(m, out / f"{stem}_{key}_{lang}.html"))
    return written


def _write_map(m, path: Path) -> Path:
    """Finish a map (legends, layer control) and write it as one HTML page."""
    from .mapping import add_legends_and_controls, render_html

    return write_text(render_html(add_legends_and_controls(m)), path)


def write_tables(
    out_dir: str | os.PathLike[str], layers: dict[str, gpd.GeoDataFrame], result: PlanAnalysis
) -> list[Path]:
    """Write the analysis tables and the uncovered areas.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : dict
        Loaded layers (subdistrict names).
    result : PlanAnalysis
        Analysis results.

    Returns
    -------
    list of pathlib.Path
        ``coverage_by_subdistrict.csv``, ``standards.csv``,
        ``indicators.csv``, ``uncovered.gpkg``.
    """
    out = Path(out_dir)
    names = subdistrict_names(layers["subdistricts"])
    by_sub = coverage_by_subdistrict(result, names)
    return [
        write_text(by_sub.to_csv(index=False), out / "coverage_by_subdistrict.csv"),
        write_text(result.standards.to_csv(), out / "standards.csv"),
        write_text(result.indicators.to_csv(), out / "indicators.csv"),
        _write_uncovered(result, out / "uncovered.gpkg"),
    ]


def build_all(
    out_dir: str | os.PathLike[str],
    overrides: dict[str, str] | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    scenario: tuple[str, Scenario] | None = None,
    on_step: Callable[[str], None] | None = None,
    siting: bool = True,
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
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    scenario : (str, Scenario), optional
        Key and scenario to compare and report (e.g. the shipped plan).
    on_step : callable, optional
        Called with a short label after each step (progress display).
    siting : bool, default True
        Answer the siting questions of :data:`SITING_QUESTIONS`.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from .maps import build_maps

    step = on_step or (lambda _label: None)
    out = Path(out_dir)
    layers = load_layers(overrides)
    result = analyse(layers, config, network, on_step=step)
    run = None
    if scenario is not None:
        run = run_scenario(layers, scenario[1], scenario[0], config, network)
        step(f"scenario {scenario[0]}")
    sitings = run_sitings(layers, config, network) if siting else []
    step("siting")
    written = write_tables(out, layers, result)
    written += write_report(out, layers, result, config, run, sitings=sitings)
    step("report")
    if run is not None:
        written += write_scenario(out, run, config)
    for s in sitings:
        written += write_siting(out, layers, s, config)
    written += build_maps(layers, result, out, config, on_step=step)
    return written


def _write_uncovered(result: PlanAnalysis, path: Path) -> Path:
    frames = []
    for key, out in result.results.items():
        unc = out.uncovered.copy()
        unc["standard"] = key
        frames.append(unc)
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    return write_vector(gdf.to_crs("EPSG:4326"), path, layer="uncovered")
