"""What each ``tianhe-geo`` command does: arguments in, the library called, a table or files out.

Every command reads its settings with :func:`settings`, loads layers with
:func:`layers_of` and writes through :mod:`tianhe_geo.pipeline`; the only output
of its own is text on the console.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..data.io import csv_text
from ..foundation.config import DEFAULT_CONFIG, DEFAULT_OUTPUT, AnalysisConfig, OutputOptions
from ..foundation.crs import STORAGE_CRS
from ..foundation.errors import AnalysisInputError, TianheGeoError, UsageError

logger = logging.getLogger("tianhe_geo")

Step = Callable[[str], None]


def parse_overrides(items: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """``--layer NAME=FILE[:LAYER]`` items as a layer name -> (file, layer inside it) mapping."""
    from ..data.io import split_layer_suffix
    from ..data.paths import LAYER_NAMES

    out: dict[str, tuple[str, str | None]] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or name not in LAYER_NAMES or not path:
            msg = (
                f"--layer expects NAME=FILE or NAME=FILE:LAYER with NAME one of "
                f"{', '.join(LAYER_NAMES)}, got {item!r}"
            )
            raise UsageError(msg)
        if name in out:
            msg = f"--layer {name}= is given twice ({out[name][0]} and {path})"
            raise UsageError(msg)
        out[name] = split_layer_suffix(path)
    return out


def _parse_where(items: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        column, sep, values = item.partition("=")
        if not sep or not column or not values:
            msg = f"--where expects COLUMN=VALUE[,VALUE...], got {item!r}"
            raise UsageError(msg)
        out[column] = values.split(",")
    return out


def _parse_radii(items: Sequence[str]) -> dict[str, Any]:
    """``KEY=METRES`` or ``KEY:VALUE=METRES`` (a radius per tier/category) into config radii."""
    out: dict[str, Any] = {}
    for item in items:
        target, sep, metres = item.partition("=")
        key, colon, value = target.partition(":")
        try:
            radius: float | None = float(metres)
        except ValueError:
            radius = None
        if not sep or not key or (colon and not value) or radius is None:
            msg = f"--radius expects STANDARD=METRES or STANDARD:VALUE=METRES, got {item!r}"
            raise UsageError(msg)
        if colon:
            by = out.setdefault(key, {})
            if not isinstance(by, dict):
                msg = f"--radius: {key!r} is given both one radius and radii per value"
                raise UsageError(msg)
            by[value] = radius
        else:
            out[key] = radius
    return out


@contextmanager
def _progress(args: argparse.Namespace, total: int, what: str) -> Iterator[Step]:
    """A progress bar on stderr, shown only on a terminal and without ``--quiet``."""
    from tqdm import tqdm

    hidden = args.quiet or not sys.stderr.isatty()
    with tqdm(total=total, desc=what, disable=hidden, file=sys.stderr, leave=False) as bar:

        def step(label: str) -> None:
            bar.set_postfix_str(label, refresh=False)
            bar.update()

        yield step


def _say(args: argparse.Namespace, text: str) -> None:
    """Status for the person at the terminal: standard error, silenced by ``--quiet``."""
    if not args.quiet:
        print(text, file=sys.stderr)


def _emit(args: argparse.Namespace, table: pd.DataFrame, index: str) -> None:
    """A command's data on standard output, as ``--format`` asks (never silenced)."""
    fmt = getattr(args, "out_format", "table")
    if fmt == "json":
        print(json.dumps(_records(table, index), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        print(csv_text(table, index_label=index), end="")
    else:
        print(table.to_markdown())


def _say_written(args: argparse.Namespace, paths: Sequence[Path]) -> None:
    for path in paths:
        _say(args, f"wrote {path}")


def _records(table: pd.DataFrame, index: str) -> list[dict[str, Any]]:
    """Rows as JSON-ready records (NaN as null), the index as the column ``index``."""
    records = table.rename_axis(index).reset_index().to_json(orient="records")
    return list(json.loads(records))


def _data_crs(args: argparse.Namespace) -> str | None:
    """The metric CRS of a ``--data`` folder's own boundary (EPSG:4547 only where it is valid)."""
    from ..data.io import read_vector
    from ..data.layers import data_folder
    from ..foundation.crs import measure_crs

    if not getattr(args, "data", None):
        return None
    files, _ = data_folder(args.data)
    return measure_crs(read_vector(files["boundary"])) if "boundary" in files else None


def _facts_of_data(args: argparse.Namespace, given: str | None) -> dict[str, Any]:
    """Another study area's plan facts: ``--facts``, else its folder's own file, else none."""
    from ..data.paths import FACTS_FILE

    if given is not None:
        return {}
    own = Path(args.data) / FACTS_FILE
    return {"plan_facts": str(own)} if own.is_file() else {"shipped_facts": False}


def _standards_on_data(args: argparse.Namespace, config: AnalysisConfig) -> AnalysisConfig:
    """Only the standards whose layer a ``--data`` folder of another study area holds."""
    from ..data.layers import data_folder
    from ..foundation.standards import STANDARDS

    if not getattr(args, "data", None):
        return config
    files, shipped = data_folder(args.data)
    present = set(files) | set(args.layer_map)
    if shipped:
        return config
    keep = tuple(k for k in config.standards if STANDARDS[k].layer in present)
    dropped = sorted(set(config.standards) - set(keep))
    if dropped:
        _say(args, f"standards left out (their layer is not in {args.data}): {', '.join(dropped)}")
    return replace(config, standards=keep)


def settings(args: argparse.Namespace) -> tuple[AnalysisConfig, OutputOptions]:
    """The analysis settings and output options a command's arguments ask for."""
    fields: dict[str, Any] = {}
    for name in ("detour_factor", "plan_facts"):
        value = getattr(args, name, None)
        if value is not None:
            fields[name] = value
    radii = _parse_radii(getattr(args, "radius", None) or [])
    if radii:
        fields["radii"] = radii
    measure = _data_crs(args)
    if measure is not None:
        fields["analysis_crs"] = measure
        fields.update(_facts_of_data(args, fields.get("plan_facts")))
    standards = getattr(args, "standard", None)
    if isinstance(standards, list):  # scenario run --standard KEY (repeatable)
        fields["standards"] = tuple(standards)
    out: dict[str, Any] = {}
    if getattr(args, "tiles", None) is not None:
        out["tiles"] = args.tiles
    if getattr(args, "offline", None) is not None:
        out["offline"] = args.offline
    lang = getattr(args, "lang", None)
    if lang is not None:
        out["langs"] = ("zh", "en") if lang == "both" else (lang,)
    try:
        config = replace(DEFAULT_CONFIG, **fields)
        options = replace(DEFAULT_OUTPUT, **out)
    except AnalysisInputError as exc:  # --radius, --detour-factor, --standard
        raise UsageError(str(exc)) from exc
    config = _standards_on_data(args, config)
    if config.plan_facts is not None:  # a bad --facts file fails before any work
        from ..data.facts import load_plan_facts

        load_plan_facts(config.plan_facts)
    return config, options


def network_of(
    args: argparse.Namespace, config: AnalysisConfig, layers: dict[str, gpd.GeoDataFrame]
) -> Any:
    """The street network of ``--osm``, clipped to the district plus the facility buffer."""
    if not getattr(args, "osm", None):
        return None
    from ..analysis.network import read_walk_network

    # The district plus the facility buffer: the streets residents and facilities use.
    area = layers["boundary"].to_crs(config.analysis_crs).buffer(config.facility_buffer_m)
    clip = area.to_crs(STORAGE_CRS).union_all()
    logger.info("reading street network %s", args.osm)
    return read_walk_network(args.osm, config.analysis_crs, clip=clip)


def _layer_datum(args: argparse.Namespace) -> str | None:
    """The datum ``--layer`` files are converted from (``wgs84``: none)."""
    datum = getattr(args, "datum", None)
    return None if datum == "wgs84" else datum


def layers_of(args: argparse.Namespace) -> dict[str, gpd.GeoDataFrame]:
    """Every layer, the user's files instead of the shipped ones where ``--layer`` names them."""
    from ..data.layers import data_folder, load_layers, require_layers

    data = getattr(args, "data", None)
    if not data:
        return load_layers(args.layer_map, datum=_layer_datum(args))
    files, shipped = data_folder(data)
    layers = load_layers({**files, **args.layer_map}, datum=_layer_datum(args), shipped=shipped)
    if args.command not in ("layers", "export"):
        require_layers(
            layers, ("boundary", "subdistricts", "residents"), f"tianhe-geo {args.command}"
        )
    return layers


def _generated(args: argparse.Namespace) -> str:
    """The report's timestamp: ``--generated`` when given (reproducible files), else now."""
    return args.generated if args.generated is not None else _now()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ---- data commands --------------------------------------------------------------------


def cmd_layers(args: argparse.Namespace) -> int:
    """``layers``: counts, CRS, accuracy and main source of every layer."""
    from ..data.paths import layer_path
    from ..present.tables import describe_layers

    layers = layers_of(args)
    table = describe_layers(layers)
    table.insert(1, "crs", [gdf.crs.to_string() for gdf in layers.values()])
    files = {n: ":".join(filter(None, src)) for n, src in args.layer_map.items()}
    if getattr(args, "data", None):
        from ..data.layers import data_folder

        files = {**{n: str(f) for n, f in data_folder(args.data)[0].items()}, **files}
    table["file"] = [files.get(n, str(layer_path(n))) for n in table.index]
    _emit(args, table, "layer")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: check a file against a layer's schema."""
    from ..data.io import split_layer_suffix
    from ..data.layers import read_layer_file

    path, inner = split_layer_suffix(args.file)
    file_layer = args.file_layer or inner
    gdf = read_layer_file(
        path,
        args.as_layer,
        file_layer=file_layer,
        encoding=args.encoding,
        datum=_layer_datum(args),
    )
    print(f"{args.file}: valid {args.as_layer} layer, {len(gdf)} features")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``export``: write layers to GeoPackage, GeoParquet, GeoJSON or Shapefile."""
    from ..data.paths import LAYER_NAMES
    from ..pipeline import write_export

    layers = layers_of(args)
    # By default the layers loaded (optional ones such as buildings may be absent).
    names = args.names or [n for n in LAYER_NAMES if n in layers]
    unknown = sorted(set(names) - set(LAYER_NAMES))
    if unknown:
        msg = f"unknown layers {unknown}; known: {list(LAYER_NAMES)}"
        raise UsageError(msg)
    absent = [n for n in names if n not in layers]
    if absent:
        msg = f"layers {absent} are not in the data (give --data DIR or --layer NAME=FILE)"
        raise UsageError(msg)
    for path, n in write_export(args.out, layers, names, args.format):
        _say(args, f"wrote {path} ({n} features)")
    return 0


def cmd_import_osm(args: argparse.Namespace) -> int:
    """``import osm``: a data folder of validated layers from one OpenStreetMap extract."""
    from ..pipeline import write_osm_import

    name = str(args.file).lower()
    if not (name.endswith(".osm.pbf") or name.endswith(".osm") or name.endswith(".pbf")):
        msg = f"{args.file}: expected an OpenStreetMap extract (.osm.pbf or .osm)"
        raise UsageError(msg)
    written = write_osm_import(args.file, args.out, args.boundary_relation)
    for path, n in written:
        _say(args, f"wrote {path} ({n} rows)")
    _say(args, f"use it with: tianhe-geo --data {args.out} layers")
    network = next(p for p, _ in reversed(written) if p.name.startswith("network."))
    _say(args, f"walking distances along its streets: add --osm {network}")
    return 0


def cmd_import_pois(args: argparse.Namespace) -> int:
    """``import pois``: a facilities layer from an AMap / Baidu export or a register."""
    from ..pipeline import write_poi_import

    written, notes = write_poi_import(args.file, args.out, args.datum, args.replace)
    for note in notes:
        _say(args, note)
    for path, n in written:
        _say(args, f"wrote {path} ({n} rows)")
    unmapped = written[-1][1]
    if unmapped:
        # Listed, never guessed: the user decides what these rows are.
        _say(args, f"{unmapped} row(s) not mapped to a category: see {written[-1][0]}")
    return 0


def cmd_import_residents(args: argparse.Namespace) -> int:
    """``import residents``: census units allocated to residential land (dasymetric)."""
    from ..pipeline import write_census_import

    dest, n, total = write_census_import(
        args.file, args.out, args.population, args.land, args.datum
    )
    _say(args, f"wrote {dest} ({n} pieces, {total:,.0f} residents, the table's sum)")
    return 0


def _check_suffix(path: str, option: str, csv: bool = True) -> None:
    """Refuse an output file type before any work is done (an argument error)."""
    from ..data.io import DRIVERS

    suffix = Path(path).suffix.lower()
    allowed = sorted([".csv", *DRIVERS] if csv else DRIVERS)
    if suffix not in allowed:
        msg = f"{option} {path}: unsupported file type {suffix!r}; use one of {allowed}"
        raise UsageError(msg)


def _coverage_facilities(
    args: argparse.Namespace, layers: dict[str, gpd.GeoDataFrame], config: AnalysisConfig
) -> tuple[gpd.GeoDataFrame, list[float], Any]:
    """Facilities, thresholds and (for a standard with radii per class) each one's radius."""
    from ..plan.compliance import select_facilities, select_features

    if args.standard:
        std = config.standard(args.standard)
        fac = select_facilities(layers, std, config)
        if args.threshold:  # the user's thresholds apply to every facility
            return fac, args.threshold, None
        radii = std.radii(fac[std.column]) if std.radius_by else None
        return fac, [std.radius_m], radii
    if not args.facilities:
        msg = "give --standard KEY, or --facilities LAYER with --threshold METRES"
        raise UsageError(msg)
    if not args.threshold:
        msg = "--facilities needs at least one --threshold METRES"
        raise UsageError(msg)
    where = _parse_where(args.where)
    try:
        chosen = select_features(layers, args.facilities, where, config)
    except AnalysisInputError as exc:  # --where names a column or value the layer lacks
        msg = f"--where: {exc}"
        raise UsageError(msg) from exc
    return chosen, args.threshold, None


def cmd_coverage(args: argparse.Namespace) -> int:
    """``coverage``: who lives within reach of a kind of facility, per subdistrict."""
    from ..pipeline import write_coverage
    from ..plan.completeness import completeness, completeness_of
    from ..plan.compliance import measure_coverage, residents_in
    from ..present.tables import (
        area_label,
        completeness_text,
        method_text,
        subdistrict_names,
        summary_view,
    )

    config, _ = settings(args)
    if args.out:
        _check_suffix(args.out, "--out")
    layers = layers_of(args)
    facilities, thresholds, radii = _coverage_facilities(args, layers, config)
    group = None if args.group == "district" else "subdistrict"
    net = network_of(args, config, layers)
    res = residents_in(layers, config)
    result = measure_coverage(res, facilities, thresholds, config, net, group, radii)
    names = subdistrict_names(layers["subdistricts"])
    view = summary_view(result.summary, names, area_label(layers["boundary"]))
    _say(args, f"{len(facilities)} facilities; distance: {method_text(result.method)}")
    if args.standard:
        std = config.standard(args.standard)
        rests_on = completeness(layers, std, config)
        _say(args, completeness_text(rests_on, std))
    else:
        rests_on = completeness_of(facilities, float(res["population"].sum()))
    if args.out_format == "table":
        _emit(args, view, "group")
    else:  # the table --out writes as CSV: shares 0-1, with the subdistrict names
        table = result.summary.copy()
        table.insert(0, "name", view["name"])
        table = table.assign(
            facilities=rests_on.facilities,
            expected_min=rests_on.expected,
            completeness=rests_on.verdict,
        )
        _emit(args, table, "group")
    if args.out:
        _say_written(args, write_coverage(args.out, result, layers, rests_on))
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    """``indicators``: the plan-target table."""
    from ..pipeline import write_table
    from ..plan.indicators import indicators
    from ..present.tables import met_label

    config, _ = settings(args)
    if args.out and Path(args.out).suffix.lower() != ".csv":
        msg = f"--out {args.out}: the indicators table is written as .csv"
        raise UsageError(msg)
    table = indicators(layers_of(args), config)
    view = table[["value", "target", "unit", "gap", "met", "computed", "published"]].round(2)
    view["met"] = table["met"].map(met_label)
    view["year"] = table["published_year"]
    _emit(args, view if args.out_format == "table" else table, "indicator")
    if args.out:
        _say(args, f"wrote {write_table(table, args.out)}")
    return 0


# ---- output commands ------------------------------------------------------------------


def cmd_maps(args: argparse.Namespace) -> int:
    """``maps``: build the interactive maps."""
    from ..pipeline import write_maps
    from ..plan.run import analyse
    from ..present.maps import MAP_NAMES

    config, options = settings(args)
    unknown = sorted(set(args.only or ()) - set(MAP_NAMES))
    if unknown:
        msg = f"--only: unknown maps {unknown}; known: {list(MAP_NAMES)}"
        raise UsageError(msg)
    layers = layers_of(args)
    n_maps = len(args.only or ()) or len(MAP_NAMES)
    with _progress(args, len(config.standards) + n_maps * len(options.langs), "maps") as step:
        result = analyse(layers, config, network_of(args, config, layers), on_step=step)
        written = write_maps(args.out, layers, result, options, args.only, step)
    _say_written(args, written)
    return 0


def _scenario(path: str | None, allow_outside: bool = False) -> Any:
    from ..data.scenario_spec import read_scenario
    from ..pipeline import plan_scenario

    if path is None:
        return plan_scenario()
    return Path(path).stem, read_scenario(path, allow_outside=allow_outside)


def cmd_report(args: argparse.Namespace) -> int:
    """``report``: the planning report, report.html and report.md."""
    from ..pipeline import write_report
    from ..plan.run import analyse, run_scenario
    from ..plan.siting_questions import run_sitings
    from ..present.report import build_report

    config, options = settings(args)
    # The scenario is read first: a bad file fails before any analysis.
    scenario = None if args.no_scenario else _scenario(args.scenario, args.allow_outside)
    layers = layers_of(args)
    net = network_of(args, config, layers)
    with _progress(args, len(config.standards) + 3, "report") as step:
        result = analyse(layers, config, net, on_step=step)
        run = None
        if scenario is not None:
            run = run_scenario(layers, scenario[1], scenario[0], config, net, before=result)
        step("scenario")
        sitings = [] if args.no_siting else run_sitings(layers, config, net)
        step("siting")
        lang = options.langs[0]
        report = build_report(layers, result, run, sitings, lang, options, _generated(args))
        written = write_report(args.out, report)
        step("report")
    _say_written(args, written)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """``build``: the main job."""
    from ..pipeline import build_all
    from ..present.maps import MAP_NAMES

    config, options = settings(args)
    layers = layers_of(args)
    total = len(config.standards) + 3 + len(MAP_NAMES) * len(options.langs)
    with _progress(args, total, "build") as step:
        written = build_all(
            Path(args.out),
            overrides=args.layer_map,
            config=config,
            options=options,
            network=network_of(args, config, layers),
            scenario=None if args.no_scenario else _scenario(None),
            on_step=step,
            siting=not args.no_siting,
            generated=_generated(args),
            layers=layers,
        )
    _say_written(args, written)
    return 0


# ---- planning commands ----------------------------------------------------------------


def _read_user_file(text: str) -> gpd.GeoDataFrame:
    """A vector file named on the command line, ``FILE`` or ``FILE:LAYER``."""
    from ..data.io import read_vector, split_layer_suffix

    path, layer = split_layer_suffix(text)
    return read_vector(path, layer=layer)


def _candidates(path: str | None) -> gpd.GeoDataFrame | None:
    if not path:
        return None
    candidates = _read_user_file(path)
    if candidates.crs is None:
        msg = f"{path}: no CRS; expected EPSG:4326 (WGS-84 lon/lat) points"
        raise TianheGeoError(msg)
    return candidates


def cmd_site(args: argparse.Namespace) -> int:
    """``site mclp|lscp``: where new facilities should go."""
    from ..pipeline import write_siting
    from ..plan.siting_questions import SitingQuestion, SitingRun, site_for_standard
    from ..present.tables import sites_lonlat, siting_table

    config, options = settings(args)
    layers = layers_of(args)
    exclude = _read_user_file(args.exclude) if args.exclude else None
    mclp = args.model == "mclp"
    question = SitingQuestion(
        f"{args.model}_{args.standard}",
        args.standard,
        k=args.k if mclp else None,
        target_share=None if mclp else args.target,
        wording="q_mclp" if mclp else "q_lscp",
    )
    with _progress(args, 1, f"siting ({args.model})") as step:
        result, existing = site_for_standard(
            layers,
            args.standard,
            k=question.k,
            target_share=question.target_share,
            candidates=_candidates(args.candidates),
            spacing_m=args.spacing,
            exclude=exclude,
            config=config,
            network=network_of(args, config, layers),
            time_limit_s=args.time_limit,
        )
        step("solved")
    run = SitingRun(question, config.standard(args.standard), result, existing)
    summary = siting_table([run])
    view = pd.DataFrame(sites_lonlat(result)[["lon", "lat", "new_covered_pop"]])
    if args.out_format == "json":  # one document: the answer and its sites
        doc = {"summary": _records(summary, "question")[0], "sites": _records(view, "site")}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    elif args.out_format == "csv":  # the sites; the summary goes with the status
        _say(args, summary.T.to_markdown())
        _emit(args, view, "site")
    else:
        print(summary.T.to_markdown())
        view["new_covered_pop"] = view["new_covered_pop"].round(0).astype(int)
        _emit(args, view, "site")
    _say_written(args, write_siting(args.out, layers, run, options))
    return 0


def cmd_scenario_run(args: argparse.Namespace) -> int:
    """``scenario run``: apply a scenario and compare every standard before and after."""
    from ..pipeline import write_scenario
    from ..plan.run import run_scenario

    config, options = settings(args)
    key, sc = _scenario(args.file, args.allow_outside)
    layers = layers_of(args)
    run = run_scenario(layers, sc, key, config, network_of(args, config, layers))
    c = run.comparison
    _say(args, f"scenario {sc.name}: {len(c.changes)} features changed")
    if args.out_format == "table":
        view = c.standards[["share_before", "share_after", "change_pp", "gained_pop", "lost_pop"]]
        _emit(args, view.round(4), "standard")
    else:
        _emit(args, c.standards, "standard")
    _say_written(args, write_scenario(args.out, run, config, options))
    return 0
