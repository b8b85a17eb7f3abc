"""Where the shipped data lives, and the names of its files.

``data/geo/`` in the source tree is the source of truth. A wheel carries the
same files inside the package (``tianhe_geo/_data/geo``); :func:`data_dir`
finds whichever is present, so an editable checkout and a ``pip install``
load identical data through one API.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..foundation.errors import DataSourceError, UnknownLayerError

#: Layers in the order they are usually drawn and loaded.
LAYER_NAMES = (
    "boundary",
    "subdistricts",
    "structure",
    "transit",
    "projects",
    "parks",
    "facilities",
    "rivers",
    "residents",
    # Optional: not shipped; written by ``import osm`` (buildings, residential land use).
    "buildings",
    "residential",
)

#: File name of the published plan-indicator figures in the data folder.
FACTS_FILE = "plan_facts.csv"

#: The shipped plan scenario (what opens when planned features are built).
PLAN_SCENARIO = "plan2025"


def data_dir() -> Path:
    """Return the folder holding the shipped layers.

    Returns
    -------
    pathlib.Path
        ``tianhe_geo/_data/geo`` in an installed wheel, else ``data/geo`` of
        the source checkout.

    Raises
    ------
    DataSourceError
        When neither exists (a broken install).
    """
    packaged = Path(str(resources.files("tianhe_geo"))) / "_data" / "geo"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "data" / "geo"
    if checkout.is_dir():
        return checkout
    msg = f"shipped data not found in {packaged} nor {checkout}; reinstall tianhe-geo"
    raise DataSourceError(msg)


def check_layer_name(name: str) -> str:
    """Return ``name`` if it is a layer tianhe-geo knows, else raise naming the known ones.

    Parameters
    ----------
    name : str
        A layer name.

    Returns
    -------
    str
        The same name.

    Raises
    ------
    UnknownLayerError
        For any other name.
    """
    if name not in LAYER_NAMES:
        msg = f"unknown layer {name!r}; known layers: {', '.join(LAYER_NAMES)}"
        raise UnknownLayerError(msg)
    return name


def layer_path(name: str) -> Path:
    """Return the path of a shipped layer file.

    Parameters
    ----------
    name : str
        Layer name (see :data:`LAYER_NAMES`).

    Returns
    -------
    pathlib.Path
        Path of its GeoJSON file.
    """
    return data_dir() / f"{check_layer_name(name)}.geojson"


def plan_scenario_path() -> Path:
    """Return the path of the shipped plan scenario (``scenarios/plan2025.yaml``).

    Returns
    -------
    pathlib.Path
        The YAML file.
    """
    return data_dir() / "scenarios" / f"{PLAN_SCENARIO}.yaml"
