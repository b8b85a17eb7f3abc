"""tianhe-geo: planning layers, coverage analysis and maps for Tianhe District, Guangzhou.

The public API is what this package exports (:data:`__all__`); each name is
imported when first used, so ``import tianhe_geo`` stays light (reading a
scenario does not load the solver or the map kit). The package is layered,
each layer importing only the ones below it::

    cli -> pipeline -> present -> plan -> analysis -> data -> foundation

See the README's architecture section for one line per module.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from . import _deprecated

#: Public name -> module it lives in (relative to the package).
_PUBLIC = {
    # foundation
    "TianheGeoError": "foundation.errors",
    "AnalysisInputError": "foundation.errors",
    "CrsError": "foundation.errors",
    "DataSourceError": "foundation.errors",
    "GcjOffsetError": "foundation.errors",
    "LayerSchemaError": "foundation.errors",
    "NetworkError": "foundation.errors",
    "SolverError": "foundation.errors",
    "UnknownLayerError": "foundation.errors",
    "TianheGeoWarning": "foundation.errors",
    "ANALYSIS_CRS": "foundation.crs",
    "STORAGE_CRS": "foundation.crs",
    "to_wgs84_from": "foundation.crs",
    "from_wgs84_to": "foundation.crs",
    "Standard": "foundation.standards",
    "STANDARDS": "foundation.standards",
    "AnalysisConfig": "foundation.config",
    "OutputOptions": "foundation.config",
    "DEFAULT_CONFIG": "foundation.config",
    # data
    "LAYER_NAMES": "data.paths",
    "data_dir": "data.paths",
    "load_layer": "data.layers",
    "load_layers": "data.layers",
    "read_layer_file": "data.layers",
    "describe_layers": "present.tables",
    "is_complete": "data.schemas",
    "read_vector": "data.io",
    "write_vector": "data.io",
    "Change": "data.scenario_spec",
    "Scenario": "data.scenario_spec",
    "read_scenario": "data.scenario_spec",
    "load_plan_facts": "data.facts",
    "data_folder": "data.layers",
    "import_osm": "data.osm_import",
    "OsmImport": "data.osm_import",
    "import_pois": "data.poi_import",
    "PoiImport": "data.poi_import",
    "allocate_residents": "data.census_import",
    # analysis
    "coverage": "analysis.coverage",
    "CoverageResult": "analysis.coverage",
    "StraightLine": "analysis.distance",
    "OnNetwork": "analysis.distance",
    "CostTable": "analysis.distance",
    "DistanceMethod": "analysis.distance",
    "cost_table": "analysis.distance",
    "euclidean_table": "analysis.euclidean",
    "nearest_facility": "analysis.euclidean",
    "WalkNetwork": "analysis.network",
    "read_walk_network": "analysis.network",
    "from_edges": "analysis.network",
    "network_table": "analysis.network",
    "two_step_fca": "analysis.access",
    "weighted_mean": "analysis.access",
    "candidate_grid": "analysis.siting",
    "maximal_covering": "analysis.siting",
    "set_covering": "analysis.siting",
    "SitingResult": "analysis.siting",
    "coverage_partitioned": "analysis.partitioned",
    "coverage_many": "analysis.coverage",
    "Reach": "analysis.coverage",
    "coverage_streamed": "analysis.partitioned",
    # plan
    "run_standard": "plan.compliance",
    "indicators": "plan.indicators",
    "apply_scenario": "plan.scenario",
    "compare": "plan.scenario",
    "site_for_standard": "plan.siting_questions",
    "analyse": "plan.run",
    "PlanAnalysis": "plan.run",
    # present
    "new_map": "present.mapkit",
    "add_layer": "present.mapkit",
    "finish": "present.mapkit",
    "render_html": "present.mapkit",
    "TianheMap": "present.mapkit",
    "overview_map": "present.maps",
    "parks_map": "present.maps",
    "health_map": "present.maps",
    "education_map": "present.maps",
    "dashboard_map": "present.maps",
    "resident_map": "present.maps",
    # pipeline
    "build_all": "pipeline",
    "coverage_to_parquet": "pipeline",
    "write_osm_import": "pipeline",
    "write_poi_import": "pipeline",
    "write_census_import": "pipeline",
}

__all__ = ["__version__", *_PUBLIC]


def _version() -> str:
    # Read on first use: importlib.metadata scans the installed distributions, a
    # fixed cost (tens of ms) every analysis script would otherwise pay at import.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tianhe-geo")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    if name not in _PUBLIC:
        msg = f"module 'tianhe_geo' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """The package module, whose public names win over the 0.1 module of the same name.

    Importing a submodule binds it on its parent; ``import tianhe_geo.coverage``
    (a 0.1 path) would otherwise replace the public function ``coverage`` with
    the deprecated module for the rest of the process.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_deprecated.install()

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    __version__: str
    from .analysis.access import two_step_fca, weighted_mean
    from .analysis.coverage import CoverageResult, Reach, coverage, coverage_many
    from .analysis.distance import CostTable, DistanceMethod, OnNetwork, StraightLine, cost_table
    from .analysis.euclidean import euclidean_table, nearest_facility
    from .analysis.network import WalkNetwork, from_edges, network_table, read_walk_network
    from .analysis.partitioned import coverage_partitioned, coverage_streamed
    from .analysis.siting import SitingResult, candidate_grid, maximal_covering, set_covering
    from .data.census_import import allocate_residents
    from .data.facts import load_plan_facts
    from .data.io import read_vector, write_vector
    from .data.layers import data_folder, load_layer, load_layers, read_layer_file
    from .data.osm_import import OsmImport, import_osm
    from .data.paths import LAYER_NAMES, data_dir
    from .data.poi_import import PoiImport, import_pois
    from .data.scenario_spec import Change, Scenario, read_scenario
    from .data.schemas import is_complete
    from .foundation.config import DEFAULT_CONFIG, AnalysisConfig, OutputOptions
    from .foundation.crs import ANALYSIS_CRS, STORAGE_CRS, from_wgs84_to, to_wgs84_from
    from .foundation.errors import (
        AnalysisInputError,
        CrsError,
        DataSourceError,
        GcjOffsetError,
        LayerSchemaError,
        NetworkError,
        SolverError,
        TianheGeoError,
        TianheGeoWarning,
        UnknownLayerError,
    )
    from .foundation.standards import STANDARDS, Standard
    from .pipeline import (
        build_all,
        coverage_to_parquet,
        write_census_import,
        write_osm_import,
        write_poi_import,
    )
    from .plan.compliance import run_standard
    from .plan.indicators import indicators
    from .plan.run import PlanAnalysis, analyse
    from .plan.scenario import apply_scenario, compare
    from .plan.siting_questions import site_for_standard
    from .present.mapkit import TianheMap, add_layer, finish, new_map, render_html
    from .present.maps import (
        dashboard_map,
        education_map,
        health_map,
        overview_map,
        parks_map,
        resident_map,
    )
    from .present.tables import describe_layers
