"""The ``tianhe-geo`` argument parser: every command, its options and an example of each."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..data.paths import LAYER_NAMES
from ..foundation.standards import STANDARDS
from . import commands

#: Export formats (the pipeline's).
EXPORT_FORMATS = ("geojson", "gpkg", "parquet", "shp")

Command = Callable[[argparse.Namespace], int]

#: Machine-readable forms of a command's table (``--format``).
TABLE_FORMATS = ("table", "json", "csv")


def _positive(text: str) -> float:
    """A finite number > 0 (metres, seconds), or argparse's exit-2 error."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        msg = f"expected a number > 0, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _share(text: str) -> float:
    """A share in (0, 1], or argparse's exit-2 error."""
    value = _positive(text)
    if value > 1:
        msg = f"expected a share between 0 and 1 (0.9 for 90 %), got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _count(text: str) -> int:
    """A whole number >= 1, or argparse's exit-2 error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a whole number >= 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _layer_option(p: argparse.ArgumentParser | argparse._ArgumentGroup, dest: str) -> None:
    p.add_argument(
        "--layer",
        dest=dest,
        action="append",
        default=[],
        metavar="NAME=FILE[:LAYER]",
        help="use FILE (or LAYER inside a GeoPackage) instead of a shipped layer (repeatable), "
        "e.g. parks=my_parks.gpkg or parks=plan.gpkg:parks",
    )


def _datum_option(p: argparse.ArgumentParser | argparse._ArgumentGroup, dest: str) -> None:
    p.add_argument(
        "--datum",
        dest=dest,
        choices=["gcj02", "bd09", "wgs84"],
        default=None,
        help="the --layer files (or the table 'import' reads) hold GCJ-02 (AMap/Gaode, "
        "Tencent) or BD-09 (Baidu) lon/lat: convert them to WGS-84 when loading; wgs84: as is "
        "(for 'import pois' without it, points that look like GCJ-02 are refused)",
    )


def _data_option(p: argparse.ArgumentParser | argparse._ArgumentGroup, dest: str) -> None:
    p.add_argument(
        "--data",
        dest=dest,
        default=None,
        metavar="DIR",
        help="data folder (e.g. from 'tianhe-geo import osm'): its layer files replace the "
        "shipped ones; with its own boundary, layers it lacks are absent (not Tianhe's)",
    )


def _common() -> argparse.ArgumentParser:
    """Options every command takes after its name too (merged with the ones before it)."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options (also accepted before the command)")
    g.add_argument("--debug", dest="sub_debug", action="store_true", help="show tracebacks")
    g.add_argument("-v", "--verbose", dest="sub_verbose", action="store_true", help="log steps")
    g.add_argument("-q", "--quiet", dest="sub_quiet", action="store_true", help="only errors")
    _layer_option(g, "sub_layer")
    _datum_option(g, "sub_datum")
    _data_option(g, "sub_data")
    return p


_COMMON = _common()


def _sub(
    sub: Any, name: str, help_: str, example: str, func: Command | None
) -> argparse.ArgumentParser:
    p = sub.add_parser(
        name,
        help=help_,
        description=help_,
        epilog=f"example: {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # A group of commands (site, scenario) leaves the common options to its members.
        parents=[_COMMON] if func is not None else [],
    )
    p.set_defaults(func=func)
    return p


def _add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        dest="out_format",
        choices=TABLE_FORMATS,
        default="table",
        help="how the table is printed on standard output: aligned text (default), "
        "JSON records or CSV",
    )


def _add_distance(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--detour-factor",
        type=_positive,
        default=None,
        help="multiply straight-line metres by this to approximate walking (>= 1; default 1)",
    )
    p.add_argument(
        "--osm",
        metavar="FILE",
        help="OpenStreetMap extract (.osm XML or .osm.pbf) for walking distances along streets",
    )
    p.add_argument(
        "--radius",
        action="append",
        metavar="STANDARD[:VALUE]=METRES",
        help="override a standard's radius (park-500=400) or one class's in a per-class "
        "standard (park-tiered:city=1500); repeatable",
    )


def _add_run_options(p: argparse.ArgumentParser, facts: bool = False) -> None:
    """Options of every command that analyses and draws: basemap, distance, radii (, facts)."""
    _add_map_options(p)
    _add_distance(p)
    if facts:
        _add_facts(p)


def _add_facts(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--facts",
        dest="plan_facts",
        metavar="FILE.csv",
        default=None,
        help="published indicator values used where the layers cannot measure one "
        "(default: the shipped data/geo/plan_facts.csv, Tianhe's; for a --data folder with "
        "its own boundary, its plan_facts.csv, else none)",
    )


def _add_allow_outside(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let the scenario's file: entries point outside the scenario's folder",
    )


def _add_map_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tiles",
        choices=["osm", "gaode", "none"],
        default=None,
        help="basemap; gaode shifts every overlay to GCJ-02 so it lines up; none = no basemap",
    )
    p.add_argument(
        "--cdn",
        dest="offline",
        action="store_false",
        default=None,
        help="load Leaflet from its CDN (smaller files; maps then need the network)",
    )


def _add_data_commands(sub: Any) -> None:
    p = _sub(
        sub,
        "layers",
        "list the layers: counts, CRS, accuracy, sources",
        "tianhe-geo layers --format json",
        commands.cmd_layers,
    )
    _add_format(p)

    p = _sub(
        sub,
        "validate",
        "check a file against a layer schema",
        "tianhe-geo validate my_parks.gpkg --as parks",
        commands.cmd_validate,
    )
    p.add_argument("file")
    p.add_argument("--as", dest="as_layer", required=True, choices=list(LAYER_NAMES))
    p.add_argument("--file-layer", default=None, help="layer inside a GeoPackage")
    p.add_argument(
        "--encoding",
        default=None,
        help="attribute encoding of a shapefile without a .cpg file (e.g. gbk)",
    )

    p = _sub(
        sub,
        "export",
        "write layers to GeoPackage, GeoParquet, GeoJSON or Shapefile",
        "tianhe-geo export --format gpkg --out export/ parks facilities",
        commands.cmd_export,
    )
    p.add_argument("names", nargs="*", metavar="LAYER", help="layers (default: all)")
    p.add_argument("--format", choices=sorted(EXPORT_FORMATS), default="gpkg")
    p.add_argument("--out", default="export", help="output folder (default: export)")


def _add_analysis_commands(sub: Any) -> None:
    p = _sub(
        sub,
        "coverage",
        "who lives within reach of a kind of facility, per subdistrict",
        "tianhe-geo coverage --standard park-500\n"
        "  tianhe-geo coverage --facilities facilities --where category=hospital,"
        "community_health --threshold 500 --threshold 1000 --out health.gpkg",
        commands.cmd_coverage,
    )
    p.add_argument("--standard", choices=sorted(STANDARDS), help="a named standard preset")
    p.add_argument("--facilities", choices=list(LAYER_NAMES), metavar="LAYER", help="layer to use")
    p.add_argument(
        "--where", action="append", default=[], metavar="COLUMN=V1,V2", help="filter (repeatable)"
    )
    p.add_argument("--threshold", type=_positive, action="append", metavar="METRES")
    p.add_argument("--group", choices=["subdistrict", "district"], default="subdistrict")
    p.add_argument("--out", metavar="FILE", help=".csv, .geojson, .gpkg, .parquet or .shp")
    _add_format(p)
    _add_distance(p)

    p = _sub(
        sub,
        "indicators",
        "the plan-target table: value, target, gap, met",
        "tianhe-geo indicators --out indicators.csv",
        commands.cmd_indicators,
    )
    p.add_argument("--out", metavar="FILE.csv")
    _add_format(p)
    _add_facts(p)


def _add_generated(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--generated",
        metavar="TEXT",
        default=None,
        help="date and time printed in the report (default: now, UTC); the same value and "
        "inputs write byte-identical files",
    )


def _add_output_commands(sub: Any) -> None:
    p = _sub(
        sub,
        "maps",
        "build the interactive maps (all, or some) in Chinese and/or English",
        "tianhe-geo maps --only parks --lang zh --tiles gaode --out maps/",
        commands.cmd_maps,
    )
    p.add_argument("--only", action="append", metavar="MAP", help="map name (repeatable)")
    p.add_argument("--lang", choices=["zh", "en", "both"], default="both")
    p.add_argument("--out", default="maps", help="output folder (default: maps)")
    _add_run_options(p)

    p = _sub(
        sub,
        "report",
        "write the planning report: report.html (self-contained) and report.md",
        "tianhe-geo report --out report/ --scenario my_plan.yaml",
        commands.cmd_report,
    )
    p.add_argument("--out", default="report", help="output folder (default: report)")
    p.add_argument(
        "--lang", choices=["zh", "en"], default="en", help="language of the report and its maps"
    )
    _add_generated(p)
    p.add_argument("--scenario", metavar="FILE", help="scenario to report (default: the plan)")
    _add_allow_outside(p)
    p.add_argument("--no-scenario", action="store_true", help="leave the scenario section out")
    p.add_argument("--no-siting", action="store_true", help="leave the siting section out")
    _add_run_options(p, facts=True)

    p = _sub(
        sub,
        "build",
        "the main job: report, tables, plan scenario and every map",
        "tianhe-geo build --out maps/",
        commands.cmd_build,
    )
    p.add_argument("--out", default="maps", help="output folder (default: maps)")
    p.add_argument("--no-scenario", action="store_true", help="skip the plan scenario")
    p.add_argument("--no-siting", action="store_true", help="skip the siting questions")
    _add_generated(p)
    _add_run_options(p, facts=True)


def _add_site_commands(sub: Any) -> None:
    p = _sub(
        sub,
        "site",
        "where new facilities should go: maximal covering (mclp) or fewest sites (lscp)",
        "tianhe-geo site mclp --standard green-300 --k 10\n"
        "  tianhe-geo site lscp --standard life15-health --target 0.9 --candidates land.gpkg",
        None,
    )
    models = p.add_subparsers(dest="model", required=True)
    for model, help_, example in (
        (
            "mclp",
            "choose k new sites that put the most residents within the standard's radius",
            "tianhe-geo site mclp --standard green-300 --k 10 --out sites/",
        ),
        (
            "lscp",
            "the fewest new sites that bring coverage up to a target share",
            "tianhe-geo site lscp --standard life15-health --target 1.0 --out sites/",
        ),
    ):
        m = _sub(models, model, help_, example, commands.cmd_site)
        m.add_argument("--standard", required=True, choices=sorted(STANDARDS))
        if model == "mclp":
            m.add_argument("--k", type=_count, required=True, help="number of new sites")
        else:
            m.add_argument(
                "--target", type=_share, required=True, help="share to reach, e.g. 0.9 or 1.0"
            )
        m.add_argument("--candidates", metavar="FILE", help="candidate points (default: a grid)")
        m.add_argument("--spacing", type=_positive, default=250.0, help="grid spacing, metres")
        m.add_argument(
            "--exclude", metavar="FILE", help="polygons where the grid may not go (water, ...)"
        )
        m.add_argument("--time-limit", type=_positive, default=60.0, help="solver limit, seconds")
        m.add_argument("--lang", choices=["zh", "en", "both"], default="both")
        m.add_argument("--out", default="sites", help="output folder (default: sites)")
        _add_format(m)
        _add_run_options(m)


def _add_import_commands(sub: Any) -> None:
    p = _sub(
        sub,
        "import",
        "build a data folder from an OpenStreetMap extract or a POI table",
        "tianhe-geo import osm guangzhou.osm.pbf --out mydata/",
        None,
    )
    isub = p.add_subparsers(dest="import_command", required=True)
    o = _sub(
        isub,
        "osm",
        "parks, facilities, stations, boundary and subdistricts from one OSM extract",
        "tianhe-geo import osm tianhe.osm.pbf --out mydata/ && tianhe-geo --data mydata/ layers",
        commands.cmd_import_osm,
    )
    o.add_argument("file", help="OpenStreetMap extract (.osm.pbf or .osm)")
    o.add_argument("--out", required=True, help="data folder to write")
    o.add_argument(
        "--boundary-relation",
        type=int,
        default=None,
        metavar="ID",
        help="OSM relation id of the study area (default: the largest complete admin area)",
    )

    q = _sub(
        isub,
        "pois",
        "a facilities layer from a POI table (AMap / Baidu export, a bureau register)",
        "tianhe-geo import pois amap_export.csv --datum gcj02 --out mydata/",
        commands.cmd_import_pois,
    )
    q.add_argument("file", help="table (.csv UTF-8 or GBK, .xlsx)")
    q.add_argument("--out", required=True, help="data folder to write facilities.geojson into")
    # --datum gcj02|bd09|wgs84 is the common option (also accepted before the command).
    q.add_argument("--replace", action="store_true", help="overwrite the folder's facilities")

    c = _sub(
        isub,
        "residents",
        "residents from a 社区 / 小区 census table, allocated to residential land",
        "tianhe-geo import residents shequ.gpkg --population 人口 --out mydata/",
        commands.cmd_import_residents,
    )
    c.add_argument("file", help="census units: polygons or points (vector file, .csv, .xlsx)")
    c.add_argument("--population", required=True, metavar="COLUMN", help="population column")
    c.add_argument("--out", required=True, help="data folder to write residents.geojson into")
    c.add_argument(
        "--land",
        default=None,
        metavar="OSM",
        help="OSM extract for residential land (default: the folder's network.osm.pbf)",
    )


def _add_scenario_commands(sub: Any) -> None:
    p = _sub(
        sub,
        "scenario",
        "what a scenario (YAML or GeoJSON) changes: before / after per subdistrict",
        "tianhe-geo scenario run data/geo/scenarios/plan2025.yaml --out scenario/",
        None,
    )
    ssub = p.add_subparsers(dest="scenario_command", required=True)
    r = _sub(
        ssub,
        "run",
        "apply a scenario and compare every standard before and after",
        "tianhe-geo scenario run plan.yaml --standard park-500 --out scenario/",
        commands.cmd_scenario_run,
    )
    r.add_argument("file", nargs="?", help="scenario file (default: the shipped plan)")
    r.add_argument("--standard", action="append", metavar="KEY", help="standards (repeatable)")
    r.add_argument("--out", default="scenario", help="output folder (default: scenario)")
    _add_allow_outside(r)
    _add_format(r)
    _add_run_options(r, facts=True)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``tianhe-geo`` command.

    Returns
    -------
    argparse.ArgumentParser
        The parser with its sub-commands.
    """
    parser = argparse.ArgumentParser(
        prog="tianhe-geo",
        description="Planning layers, coverage, scenarios and maps for Tianhe District, Guangzhou.",
        epilog="example: tianhe-geo --layer parks=my_parks.gpkg coverage --standard park-500",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tianhe-geo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is being done")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors (tables still print)"
    )
    _layer_option(parser, "layer")
    _datum_option(parser, "datum")
    _data_option(parser, "data")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_data_commands,
        _add_analysis_commands,
        _add_output_commands,
        _add_site_commands,
        _add_scenario_commands,
        _add_import_commands,
    ):
        add(sub)
    return parser
