"""Exceptions and warnings raised by tianhe-geo.

Every specific error also inherits the builtin it resembles, so callers can
catch either ``TianheGeoError`` or, for example, ``ValueError``.
"""

from __future__ import annotations


class TianheGeoError(Exception):
    """Base class of every error raised on purpose by tianhe-geo."""


class CrsError(ValueError, TianheGeoError):
    """A coordinate reference system is missing, wrong or mismatched."""


class GcjOffsetError(CrsError):
    """Coordinates look like GCJ-02 / BD-09 (Chinese web-map) data, not WGS-84."""


class LayerSchemaError(ValueError, TianheGeoError):
    """A layer breaks its schema; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:  # one problem, one line
            msg = f"{source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            msg = f"{source}: {len(self.problems)} problems found:\n{lines}"
        super().__init__(msg)


class UnknownLayerError(KeyError, TianheGeoError):
    """A layer name that tianhe-geo does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class DataSourceError(OSError, TianheGeoError):
    """A file cannot be found, read or written."""


class AnalysisInputError(ValueError, TianheGeoError):
    """An argument of an analysis function is unusable (threshold, empty set...)."""


class SolverError(RuntimeError, TianheGeoError):
    """The optimisation solver (CBC) is missing or failed to run."""


class NetworkError(ValueError, TianheGeoError):
    """A street network is empty, unreadable or cannot be used."""


class UsageError(ValueError, TianheGeoError):
    """A command-line argument is malformed or names something unknown (exit status 2)."""


class TianheGeoWarning(UserWarning):
    """Something the user should know about, that does not stop the work."""
