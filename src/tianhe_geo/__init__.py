"""tianhe-geo: planning layers, coverage analysis and maps for Tianhe District, Guangzhou."""

from importlib.metadata import PackageNotFoundError, version

from ._errors import (
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
from .layers import LAYER_NAMES, data_dir, load_layer, load_layers, read_layer_file

try:
    __version__ = version("tianhe-geo")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "LAYER_NAMES",
    "AnalysisInputError",
    "CrsError",
    "DataSourceError",
    "GcjOffsetError",
    "LayerSchemaError",
    "NetworkError",
    "SolverError",
    "TianheGeoError",
    "TianheGeoWarning",
    "UnknownLayerError",
    "__version__",
    "data_dir",
    "load_layer",
    "load_layers",
    "read_layer_file",
]
