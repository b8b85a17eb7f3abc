"""Import paths of tianhe-geo 0.1, kept for one release with a ``DeprecationWarning``.

0.1 was 24 flat modules; 0.2 arranges them in layers (foundation, data,
analysis, plan, present, pipeline, cli). ``import tianhe_geo.coverage`` or
``from tianhe_geo.io import read_scenario`` still work until 0.3: a meta-path
finder serves each old module name as a module whose attributes are looked up
in the new modules, warning on first use of each name. Old names that were
renamed are mapped in :data:`RENAMED`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

_P = "tianhe_geo."

#: Old module -> the new modules its names now live in (searched in order).
MOVED: dict[str, tuple[str, ...]] = {
    "coverage": (
        "analysis.coverage",
        "analysis.euclidean",
        "analysis._inputs",
        "analysis.distance",
    ),
    "crs": ("foundation.crs",),
    "io": ("data.io", "data.scenario_spec", "analysis.network", "data.osm"),
    "network": ("analysis.network", "data.osm"),
    "scale": ("analysis.partitioned",),
    "scenario": ("plan.scenario", "data.scenario_spec"),
    "siting": ("analysis.siting",),
    "access": ("analysis.access",),
    "config": ("foundation.config", "foundation.standards"),
    "layers": ("data.layers", "data.paths", "data.schemas", "present.tables"),
    "schemas": ("data.schemas", "foundation.vocab"),
    "facts": ("data.facts", "data.paths", "foundation.standards"),
    "population": ("data.population",),
    "maps": ("present.maps",),
    "mapping": ("present.mapkit",),
    "charts": ("present.charts",),
    "report": ("present.report", "present.tables", "plan.run", "plan.siting_questions"),
    "build": ("pipeline", "plan.run", "plan.siting_questions"),
    "_radius_counts": ("analysis._radius_counts",),
    "_errors": ("foundation.errors",),
    # The 0.1 module ``analysis`` is now the package of that name; its names moved to plan.
    "analysis": ("plan.compliance", "plan.indicators", "plan.siting_questions", "plan.run"),
}

#: Names that changed: (old module, old name) -> (new module, new name).
RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("analysis", "BUILT"): ("foundation.vocab", "BUILT_STATUSES"),
    ("analysis", "HEALTH_CATEGORIES"): ("foundation.vocab", "HEALTH_CATEGORIES"),
    ("schemas", "FACILITY_STATUS"): ("foundation.vocab", "FACILITY_STATUSES"),
    ("schemas", "TRANSIT_STATUS"): ("foundation.vocab", "TRANSIT_STATUSES"),
    ("mapping", "add_legends_and_controls"): ("present.mapkit", "finish"),
    ("layers", "is_shipped"): ("data.layers", "is_complete"),
}


def moved_name(module: str, name: str) -> Any:
    """Look up ``name`` of the 0.1 module ``module`` in its new home, warning once per use.

    Parameters
    ----------
    module : str
        Full name of the old module (``tianhe_geo.coverage``).
    name : str
        The attribute asked for.

    Returns
    -------
    object
        The object under its new name.

    Raises
    ------
    AttributeError
        When the name is not found in any new module.
    """
    old = module.removeprefix(_P)
    if name.startswith("__"):
        raise AttributeError(name)
    where, new = RENAMED.get((old, name), (None, name))
    places: Sequence[str] = (where,) if where else MOVED.get(old, ())
    for place in places:
        target = importlib.import_module(_P + place)
        if hasattr(target, new):
            warnings.warn(
                f"{module}.{name} moved to {_P}{place}.{new} in tianhe-geo 0.2; the old path "
                "works until 0.3",
                DeprecationWarning,
                stacklevel=3,
            )
            return getattr(target, new)
    msg = f"module {module!r} has no attribute {name!r}"
    raise AttributeError(msg)


class _OldModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and makes the 0.1 modules: empty, each attribute resolved by :func:`moved_name`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        old = fullname.removeprefix(_P)
        if not fullname.startswith(_P) or old not in MOVED or old == "analysis":
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name, f"Deprecated alias of tianhe-geo 0.1 ({spec.name}).")

        def __getattr__(name: str) -> Any:
            return moved_name(spec.name, name)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: every attribute is looked up on use."""


def install() -> None:
    """Serve the 0.1 module names (idempotent)."""
    if not any(isinstance(f, _OldModules) for f in sys.meta_path):
        sys.meta_path.append(_OldModules())
