"""The ``tianhe-geo`` command line: the only place that prints, logs to the console or exits.

Every command accepts ``--layer NAME=FILE`` (before the command) to replace a
shipped layer with the user's own file. ``tianhe-geo COMMAND --help`` shows
an example for each command.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ._errors import TianheGeoError
from .config import DEFAULT_CONFIG, STANDARDS, AnalysisConfig
from .layers import (
    LAYER_NAMES,
    describe_layers,
    layer_path,
    load_layers,
    read_layer_file,
    subdistrict_names,
)
from .schemas import SCHEMAS

logger = logging.getLogger("tianhe_geo")

EXPORT_FORMATS = {"gpkg": ".gpkg", "parquet": ".parquet", "geojson": ".geojson", "shp": ".shp"}
PLAN_SCENARIO = "plan2025"


def _parse_overrides(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or name not in SCHEMAS:
            msg = f"--layer expects NAME=FILE with NAME one of {list(LAYER_NAMES)}, got {item!r}"
            raise TianheGeoError(msg)
        out[name] = path
    return out


def _parse_where(items: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        column, sep, values = item.partition("=")
        if not sep or not column or not values:
            msg = f"--where expects COLUMN=VALUE[,VALUE...], got {item!r}"
            raise TianheGeoError(msg)
        out[column] = values.split(",")
    return out


def _parse_radii(items: Sequence[str]) -> dict:
    """``KEY=METRES`` or ``KEY:VALUE=METRES`` (a radius per tier/category) into config radii."""
    out: dict = {}
    for item in items:
        target, sep, metres = item.partition("=")
        key, colon, value = target.partition(":")
        try:
            radius = float(metres)
        except ValueError:
            radius = None
        if not sep or not key or (colon and not value) or radius is None:
            msg = f"--radius expects STANDARD=METRES or STANDARD:VALUE=METRES, got {item!r}"
            raise TianheGeoError(msg)
        if colon:
            by = out.setdefault(key, {})
            if not isinstance(by, dict):
                msg = f"--radius: {key!r} is given both one radius and radii per value"
                raise TianheGeoError(msg)
            by[value] = radius
        else:
            out[key] = radius
    return out


@contextmanager
def _progress(args: argparse.Namespace, total: int, what: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr, shown only on a terminal and without ``--quiet``."""
    from tqdm import tqdm

    hidden = args.quiet or not sys.stderr.isatty()
    with tqdm(total=total, desc=what, disable=hidden, file=sys.stderr, leave=False) as bar:

        def step(label: str) -> None:
            bar.set_postfix_str(label, refresh=False)
            bar.update()

        yield step


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


def _say_written(args: argparse.Namespace, paths: Sequence[Path]) -> None:
    for path in paths:
        _say(args, f"wrote {path}")


def _config(args: argparse.Namespace) -> AnalysisConfig:
    fields = {}
    for name in ("detour_factor", "tiles", "offline", "plan_facts"):
        value = getattr(args, name, None)
        if value is not None:
            fields[name] = value
    radii = _parse_radii(getattr(args, "radius", None) or [])
    if radii:
        fields["radii"] = radii
    return replace(DEFAULT_CONFIG, **fields)


def _network(args: argparse.Namespace, config: AnalysisConfig, layers: dict | None = None):
    if not getattr(args, "osm", None):
        return None
    from .io import read_walk_network
    from .layers import load_layer

    # The district plus the facility buffer: the streets residents and facilities use.
    boundary = (layers or {}).get("boundary")
    if boundary is None:
        boundary = load_layer("boundary", args.layer_map)
    area = boundary.to_crs(config.analysis_crs).buffer(config.facility_buffer_m)
    clip = area.to_crs("EPSG:4326").union_all()
    logger.info("reading street network %s", args.osm)
    return read_walk_network(args.osm, config.analysis_crs, clip=clip)


def _layers(args: argparse.Namespace) -> dict:
    return load_layers(args.layer_map)


# ---- commands ---------------------------------------------------------------------------


def _cmd_layers(args: argparse.Namespace) -> int:
    layers = _layers(args)
    table = describe_layers(layers)
    table.insert(1, "crs", [gdf.crs.to_string() for gdf in layers.values()])
    table["file"] = [str(args.layer_map.get(n, layer_path(n))) for n in table.index]
    print(table.to_markdown())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    gdf = read_layer_file(args.file, args.as_layer, file_layer=args.file_layer)
    print(f"{args.file}: valid {args.as_layer} layer, {len(gdf)} features")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from .io import geometry_families, write_vector

    names = args.names or list(LAYER_NAMES)
    unknown = sorted(set(names) - set(LAYER_NAMES))
    if unknown:
        msg = f"unknown layers {unknown}; known: {list(LAYER_NAMES)}"
        raise TianheGeoError(msg)
    suffix = EXPORT_FORMATS[args.format]
    layers = load_layers(args.layer_map)
    for name in names:
        # The id is the index in memory; write it as the column the schema names.
        gdf = layers[name].reset_index(drop=True)
        parts = {name: gdf}
        families = geometry_families(gdf)
        if args.format == "shp" and len(families) > 1:
            parts = {f"{name}_{family}": part for family, part in families.items()}
        for stem, part in parts.items():
            path = write_vector(part, Path(args.out) / f"{stem}{suffix}", layer=name)
            _say(args, f"wrote {path} ({len(part)} features)")
    return 0


def _coverage_facilities(args: argparse.Namespace, layers: dict, config: AnalysisConfig):
    """Facilities, thresholds and (for a standard with radii per class) each one's radius."""
    from .analysis import select_facilities, select_features

    if args.standard:
        std = config.standard(args.standard)
        fac = select_facilities(layers, std, config)
        if args.threshold:  # the user's thresholds apply to every facility
            return fac, args.threshold, None
        radii = std.radii(fac[std.column]) if std.radius_by else None
        return fac, [std.radius_m], radii
    if not args.facilities:
        msg = "give --standard KEY, or --facilities LAYER with --threshold METRES"
        raise TianheGeoError(msg)
    if not args.threshold:
        msg = "--facilities needs at least one --threshold METRES"
        raise TianheGeoError(msg)
    chosen = select_features(layers, args.facilities, _parse_where(args.where), config)
    return chosen, args.threshold, None


def _summary_view(summary: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    view = summary.copy()
    view.insert(0, "name", [names.get(c, "天河区 Tianhe District") for c in view.index])
    for col in view.columns:
        if col.startswith("share_"):
            view[col] = (100 * view[col]).round(1)
        elif col.startswith(("covered_pop_", "uncovered_pop_", "unknown_pop")) or col == (
            "population"
        ):
            view[col] = view[col].round(0).astype(int)
    return view.rename(columns=lambda c: c.replace("share_", "share_%_"))


def _write_coverage(out: Path, summary: pd.DataFrame, layers: dict, result) -> Path:
    import geopandas as gpd

    from .io import driver_for, write_text, write_vector

    if out.suffix.lower() == ".csv":
        return write_text(summary.to_csv(index_label="group"), out)
    driver_for(out)  # a clear message for an unknown suffix
    sub = layers["subdistricts"].set_index("code")
    district = gpd.GeoDataFrame(geometry=[layers["boundary"].union_all()], crs=sub.crs)
    district.index = pd.Index(["district"])
    polys = pd.concat([sub.geometry, district.geometry]).reindex(summary.index)
    frame = gpd.GeoDataFrame(
        summary.reset_index(names="group"), geometry=polys.to_numpy(), crs=sub.crs
    )
    path = write_vector(frame, out, layer="coverage")
    unc = result.uncovered.to_crs("EPSG:4326")
    write_vector(unc, out.with_name(f"{out.stem}_uncovered{out.suffix}"), layer="uncovered")
    return path


def _cmd_coverage(args: argparse.Namespace) -> int:
    from .analysis import measure_coverage, residents_in

    config = _config(args)
    layers = _layers(args)
    facilities, thresholds, radii = _coverage_facilities(args, layers, config)
    group = None if args.group == "district" else "subdistrict"
    net = _network(args, config, layers)
    res = residents_in(layers, config)
    result = measure_coverage(res, facilities, thresholds, config, net, group, radii)
    names = subdistrict_names(layers["subdistricts"])
    view = _summary_view(result.summary, names)
    _say(args, f"{len(facilities)} facilities; distance: {result.method}")
    _say(args, view.to_markdown())
    if args.out:
        path = _write_coverage(Path(args.out), result.summary, layers, result)
        _say(args, f"wrote {path}")
    return 0


def _cmd_indicators(args: argparse.Namespace) -> int:
    from .analysis import indicators
    from .io import write_text
    from .report import met_label

    table = indicators(_layers(args), _config(args))
    view = table[["value", "target", "unit", "gap", "met", "computed", "published"]].round(2)
    view["met"] = table["met"].map(met_label)
    view["year"] = table["published_year"]
    _say(args, view.to_markdown())
    if args.out:
        _say(args, f"wrote {write_text(table.to_csv(), Path(args.out))}")
    return 0


def _cmd_maps(args: argparse.Namespace) -> int:
    from .analysis import analyse
    from .maps import build_maps

    config = _config(args)
    layers = _layers(args)
    langs = ("zh", "en") if args.lang == "both" else (args.lang,)
    n_maps = len(args.only or ()) or 6
    with _progress(args, len(config.standards) + n_maps * len(langs), "maps") as step:
        result = analyse(layers, config, _network(args, config, layers), on_step=step)
        written = build_maps(layers, result, args.out, config, args.only, langs, step)
    _say_written(args, written)
    return 0


def _scenario(path: str | None):
    from .io import read_scenario
    from .layers import data_dir

    if path is None:
        return PLAN_SCENARIO, read_scenario(data_dir() / "scenarios" / f"{PLAN_SCENARIO}.yaml")
    return Path(path).stem, read_scenario(path)


def _cmd_report(args: argparse.Namespace) -> int:
    from .analysis import analyse
    from .build import run_scenario, run_sitings
    from .report import write_report

    config = _config(args)
    layers = _layers(args)
    net = _network(args, config, layers)
    with _progress(args, len(config.standards) + 3, "report") as step:
        result = analyse(layers, config, net, on_step=step)
        run = None
        if not args.no_scenario:
            key, sc = _scenario(args.scenario)
            run = run_scenario(layers, sc, key, config, net)
        step("scenario")
        sitings = [] if args.no_siting else run_sitings(layers, config, net)
        step("siting")
        written = write_report(args.out, layers, result, config, run, args.lang, sitings)
        step("report")
    _say_written(args, written)
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    from .analysis import site_for_standard
    from .build import write_siting
    from .io import read_vector
    from .report import SitingRun, sites_lonlat, siting_table

    config = _config(args)
    layers = _layers(args)
    candidates = None
    if args.candidates:
        candidates = read_vector(args.candidates)
        if candidates.crs is None:
            msg = f"{args.candidates}: no CRS; expected EPSG:4326 (WGS-84 lon/lat) points"
            raise TianheGeoError(msg)
    exclude = read_vector(args.exclude) if args.exclude else None
    model = {"k": args.k} if args.model == "mclp" else {"target_share": args.target}
    with _progress(args, 1, f"siting ({args.model})") as step:
        result, existing = site_for_standard(
            layers,
            args.standard,
            candidates=candidates,
            spacing_m=args.spacing,
            exclude=exclude,
            config=config,
            network=_network(args, config, layers),
            time_limit_s=args.time_limit,
            **model,
        )
        step("solved")
    key = f"{args.model}_{args.standard}"
    question = f"{args.model.upper()} {args.standard} " + (
        f"k={args.k}" if args.model == "mclp" else f"target {args.target:.0%}"
    )
    run = SitingRun(key, question, args.standard, result, existing)
    _say(args, siting_table([run]).T.to_markdown())
    view = pd.DataFrame(sites_lonlat(result)[["lon", "lat", "new_covered_pop"]])
    view["new_covered_pop"] = view["new_covered_pop"].round(0).astype(int)
    _say(args, view.to_markdown())
    langs = ("zh", "en") if args.lang == "both" else (args.lang,)
    _say_written(args, write_siting(args.out, layers, run, config, langs))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import build_all

    config = _config(args)
    total = len(config.standards) + 3 + 12
    with _progress(args, total, "build") as step:
        written = build_all(
            Path(args.out),
            overrides=args.layer_map,
            config=config,
            network=_network(args, config),
            scenario=None if args.no_scenario else _scenario(None),
            on_step=step,
            siting=not args.no_siting,
        )
    _say_written(args, written)
    return 0


def _cmd_scenario_run(args: argparse.Namespace) -> int:
    from .build import run_scenario, write_scenario

    config = _config(args)
    layers = _layers(args)
    key, sc = _scenario(args.file)
    if args.standard:
        config = replace(config, standards=tuple(args.standard))
    run = run_scenario(layers, sc, key, config, _network(args, config, layers))
    c = run.comparison
    _say(args, f"scenario {sc.name}: {len(c.changes)} features changed")
    view = c.standards[["share_before", "share_after", "change_pp", "gained_pop", "lost_pop"]]
    _say(args, view.round(4).to_markdown())
    _say_written(args, write_scenario(args.out, run, config))
    return 0


# ---- parser ------------------------------------------------------------------------------


def _sub(sub, name: str, help_: str, example: str, func) -> argparse.ArgumentParser:
    p = sub.add_parser(
        name,
        help=help_,
        description=help_,
        epilog=f"example: {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=func)
    return p


def _add_distance(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--detour-factor",
        type=float,
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
        "(default: the shipped data/geo/plan_facts.csv)",
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


def _add_data_commands(sub) -> None:
    _sub(
        sub,
        "layers",
        "list the layers: counts, CRS, accuracy, sources",
        "tianhe-geo layers",
        _cmd_layers,
    )

    p = _sub(
        sub,
        "validate",
        "check a file against a layer schema",
        "tianhe-geo validate my_parks.gpkg --as parks",
        _cmd_validate,
    )
    p.add_argument("file")
    p.add_argument("--as", dest="as_layer", required=True, choices=sorted(SCHEMAS))
    p.add_argument("--file-layer", default=None, help="layer inside a GeoPackage")

    p = _sub(
        sub,
        "export",
        "write layers to GeoPackage, GeoParquet, GeoJSON or Shapefile",
        "tianhe-geo export --format gpkg --out export/ parks facilities",
        _cmd_export,
    )
    p.add_argument("names", nargs="*", metavar="LAYER", help="layers (default: all)")
    p.add_argument("--format", choices=sorted(EXPORT_FORMATS), default="gpkg")
    p.add_argument("--out", default="export", help="output folder (default: export)")

    p = _sub(
        sub,
        "coverage",
        "who lives within reach of a kind of facility, per subdistrict",
        "tianhe-geo coverage --standard park-500\n"
        "  tianhe-geo coverage --facilities facilities --where category=hospital,"
        "community_health --threshold 500 --threshold 1000 --out health.gpkg",
        _cmd_coverage,
    )
    p.add_argument("--standard", choices=sorted(STANDARDS), help="a named standard preset")
    p.add_argument("--facilities", choices=sorted(SCHEMAS), metavar="LAYER", help="layer to use")
    p.add_argument(
        "--where", action="append", default=[], metavar="COLUMN=V1,V2", help="filter (repeatable)"
    )
    p.add_argument("--threshold", type=float, action="append", metavar="METRES")
    p.add_argument("--group", choices=["subdistrict", "district"], default="subdistrict")
    p.add_argument("--out", metavar="FILE", help=".csv, .geojson, .gpkg, .parquet or .shp")
    _add_distance(p)

    p = _sub(
        sub,
        "indicators",
        "the plan-target table: value, target, gap, met",
        "tianhe-geo indicators --out indicators.csv",
        _cmd_indicators,
    )
    p.add_argument("--out", metavar="FILE.csv")
    _add_facts(p)


def _add_output_commands(sub) -> None:
    p = _sub(
        sub,
        "maps",
        "build the interactive maps (all, or some) in Chinese and/or English",
        "tianhe-geo maps --only parks --lang zh --tiles gaode --out maps/",
        _cmd_maps,
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
        _cmd_report,
    )
    p.add_argument("--out", default="report", help="output folder (default: report)")
    p.add_argument("--lang", choices=["zh", "en"], default="en", help="language of embedded maps")
    p.add_argument("--scenario", metavar="FILE", help="scenario to report (default: the plan)")
    p.add_argument("--no-scenario", action="store_true", help="leave the scenario section out")
    p.add_argument("--no-siting", action="store_true", help="leave the siting section out")
    _add_run_options(p, facts=True)

    p = _sub(
        sub,
        "build",
        "the main job: report, tables, plan scenario and every map",
        "tianhe-geo build --out maps/",
        _cmd_build,
    )
    p.add_argument("--out", default="maps", help="output folder (default: maps)")
    p.add_argument("--no-scenario", action="store_true", help="skip the plan scenario")
    p.add_argument("--no-siting", action="store_true", help="skip the siting questions")
    _add_run_options(p, facts=True)


def _add_planning_commands(sub) -> None:
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
        m = _sub(models, model, help_, example, _cmd_site)
        m.add_argument("--standard", required=True, choices=sorted(STANDARDS))
        if model == "mclp":
            m.add_argument("--k", type=int, required=True, help="number of new sites")
        else:
            m.add_argument(
                "--target", type=float, required=True, help="share to reach, e.g. 0.9 or 1.0"
            )
        m.add_argument("--candidates", metavar="FILE", help="candidate points (default: a grid)")
        m.add_argument("--spacing", type=float, default=250.0, help="grid spacing, metres")
        m.add_argument(
            "--exclude", metavar="FILE", help="polygons where the grid may not go (water, ...)"
        )
        m.add_argument("--time-limit", type=float, default=60.0, help="solver limit, seconds")
        m.add_argument("--lang", choices=["zh", "en", "both"], default="both")
        m.add_argument("--out", default="sites", help="output folder (default: sites)")
        _add_run_options(m)

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
        _cmd_scenario_run,
    )
    r.add_argument("file", nargs="?", help="scenario file (default: the shipped plan)")
    r.add_argument("--standard", action="append", metavar="KEY", help="standards (repeatable)")
    r.add_argument("--out", default="scenario", help="output folder (default: scenario)")
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
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="log what is being done")
    noise.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="use FILE instead of a shipped layer (repeatable), e.g. parks=my_parks.gpkg",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_data_commands, _add_output_commands, _add_planning_commands):
        add(sub)
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    if args.debug:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 on a reported error, 2 on bad arguments.
    """
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    try:
        args.layer_map = _parse_overrides(args.layer)
        return int(args.func(args))
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        return 0
    except (TianheGeoError, OSError) as exc:
        # OSError: unwritable output folder, disk full; the message names the path.
        if args.debug:
            raise
        print(f"tianhe-geo: error: {exc}", file=sys.stderr)
        return 1
