"""The ``tianhe-geo`` command line: the only place that prints, logs to the console or exits.

Every command accepts ``--layer NAME=FILE`` (before the command) to replace a
shipped layer with the user's own file. ``tianhe-geo COMMAND --help`` shows
an example for each command. The parser is :mod:`tianhe_geo.cli.parser`, what
each command does :mod:`tianhe_geo.cli.commands`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..foundation.errors import TianheGeoError
from . import commands
from .parser import build_parser

logger = logging.getLogger("tianhe_geo")


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
        args.layer_map = commands.parse_overrides(args.layer)
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
