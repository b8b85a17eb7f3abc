"""The ``tianhe-geo`` command line: the only place that prints or exits.

Examples
--------
    tianhe-geo layers
    tianhe-geo validate my_parks.gpkg --layer parks
    tianhe-geo build --out build/
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ._errors import TianheGeoError
from .layers import LAYER_NAMES, layer_path, load_layers, read_layer_file
from .schemas import SCHEMAS

logger = logging.getLogger("tianhe_geo")


def _parse_overrides(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or name not in SCHEMAS:
            msg = f"--layer expects NAME=FILE with NAME one of {list(LAYER_NAMES)}, got {item!r}"
            raise TianheGeoError(msg)
        out[name] = path
    return out


def _cmd_layers(args: argparse.Namespace) -> int:
    layers = load_layers(_parse_overrides(args.layer))
    print(f"{'layer':<13}{'features':>9}  crs        source file")
    for name, gdf in layers.items():
        path = args.layer_map.get(name, layer_path(name))
        print(f"{name:<13}{len(gdf):>9}  {gdf.crs.to_string():<10} {path}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    gdf = read_layer_file(args.file, args.as_layer, file_layer=args.file_layer)
    print(f"{args.file}: valid {args.as_layer} layer, {len(gdf)} features")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .config import DEFAULT_CONFIG
    from .report import build_all

    config = replace(DEFAULT_CONFIG, tiles=args.tiles, detour_factor=args.detour_factor)
    written = build_all(Path(args.out), overrides=_parse_overrides(args.layer), config=config)
    for path in written:
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``tianhe-geo`` command.

    Returns
    -------
    argparse.ArgumentParser
        The parser with its sub-commands.
    """
    parser = argparse.ArgumentParser(
        prog="tianhe-geo",
        description="Planning layers, coverage and maps for Tianhe District, Guangzhou.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    parser.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="use FILE instead of a shipped layer (repeatable), e.g. parks=my_parks.gpkg",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("layers", help="list the layers", epilog="example: tianhe-geo layers")
    p.set_defaults(func=_cmd_layers)

    p = sub.add_parser(
        "validate",
        help="check a file against a layer schema",
        epilog="example: tianhe-geo validate my_parks.gpkg --as parks",
    )
    p.add_argument("file")
    p.add_argument("--as", dest="as_layer", required=True, choices=sorted(SCHEMAS))
    p.add_argument("--file-layer", default=None, help="layer inside a GeoPackage")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "build",
        help="build the coverage report and maps from the shipped data",
        epilog="example: tianhe-geo build --out maps/",
    )
    p.add_argument("--out", default="maps", help="output folder (default: maps)")
    p.add_argument(
        "--tiles",
        choices=["osm", "gaode"],
        default="osm",
        help="basemap; gaode shifts every overlay to GCJ-02 so it lines up (default: osm)",
    )
    p.add_argument(
        "--detour-factor",
        type=float,
        default=1.0,
        help="multiply straight-line metres by this to approximate walking (>= 1; default 1)",
    )
    p.set_defaults(func=_cmd_build)
    return parser


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
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        args.layer_map = _parse_overrides(args.layer)
        return int(args.func(args))
    except TianheGeoError as exc:
        if args.debug:
            raise
        print(f"tianhe-geo: error: {exc}", file=sys.stderr)
        return 1
