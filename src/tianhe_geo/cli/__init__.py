"""The ``tianhe-geo`` command line: the only place that prints, logs to the console or exits.

Every command accepts ``--layer NAME=FILE`` (or ``NAME=FILE:LAYER`` for a layer
inside a GeoPackage) to replace a shipped layer with the user's own file, and
``-v`` / ``-q`` / ``--debug``, before or after the command; ``--datum gcj02|bd09``
says those files hold Chinese web-map coordinates and converts them. Data (tables) go to
standard output, in ``--format table|json|csv`` where a command prints a table;
status (``wrote ...``, notes, progress) and errors go to standard error.
``tianhe-geo COMMAND --help`` shows an example for each command. The parser is
:mod:`tianhe_geo.cli.parser`, what each command does :mod:`tianhe_geo.cli.commands`.

Exit status: 0 done, 1 a reported error (a file, a layer, the data), 2 bad
arguments, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..foundation.errors import TianheGeoError, UsageError
from . import commands
from .parser import build_parser

logger = logging.getLogger("tianhe_geo")

#: Exit status of an interrupted run (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    if args.debug:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, with the options every command also takes after its name merged in."""
    args = parser.parse_args(argv)
    args.verbose = args.verbose or args.sub_verbose
    args.quiet = args.quiet or args.sub_quiet
    args.debug = args.debug or args.sub_debug
    args.layer = [*args.layer, *args.sub_layer]
    args.datum = args.sub_datum or args.datum
    args.data = getattr(args, "sub_data", None) or args.data
    if args.verbose and args.quiet:
        parser.error("-v/--verbose and -q/--quiet exclude each other")
    return args


def _error(text: object) -> None:
    # One line: the first line of a multi-problem message stays the summary.
    print(f"tianhe-geo: error: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 on a reported error, 2 on bad arguments, 130 when
        interrupted. No traceback is printed unless ``--debug`` is given.
    """
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # argparse: --help, --version (0) or bad arguments (2)
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        print("tianhe-geo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    _configure_logging(args)
    try:
        args.layer_map = commands.parse_overrides(args.layer)
        return int(args.func(args))
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("tianhe-geo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        return 0
    except UsageError as exc:
        if args.debug:
            raise
        _error(f"{exc} (see tianhe-geo {args.command} --help)")
        return 2
    except (TianheGeoError, OSError) as exc:
        # OSError: unwritable output folder, disk full; the message names the path.
        if args.debug:
            raise
        _error(exc)
        return 1
    except Exception as exc:  # a bug: one line, and how to see more
        if args.debug:
            raise
        detail = " ".join(str(exc).split())[:300]
        _error(
            f"internal error ({type(exc).__name__}: {detail}); rerun with --debug for the "
            "traceback and report it"
        )
        return 1
