"""Scenario specifications: what a scenario changes, and reading one from YAML or GeoJSON.

A :class:`Scenario` is a list of :class:`Change` s to the layers (add new
stations, remove a clinic, mark planned parks as built). Reading a scenario
imports only this module, the file primitives and the layer schemas; applying
and comparing it is :mod:`tianhe_geo.plan.scenario`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import yaml

from ..foundation.errors import DataSourceError, LayerSchemaError
from .io import read_vector
from .layers import read_layer_table
from .schemas import (
    BOOL,
    FLOAT,
    INT,
    OPT_BOOL,
    OPT_FLOAT,
    OPTIONAL_COLUMNS,
    SCHEMAS,
    STR,
    read_bools,
    read_numbers,
)

ACTIONS = ("add", "remove", "set")


@dataclass(frozen=True)
class Change:
    """One edit of one layer.

    Attributes
    ----------
    layer : str
        Layer name (``parks``, ``facilities``, ``transit`` ...).
    action : str
        ``"add"`` (append ``features``), ``"remove"`` (drop the selected
        rows) or ``"set"`` (overwrite ``values`` on the selected rows, and the
        geometry where ``features`` gives one for the same id).
    ids : tuple of str
        Feature ids (the layer's id column) to select.
    where : mapping
        Column -> value or list of values; rows matching every column are
        selected (combined with ``ids`` by "or").
    values : mapping
        Column -> new value, for ``"set"``.
    features : geopandas.GeoDataFrame, optional
        New features for ``"add"`` or new geometries by id for ``"set"``.
    label : str
        Where the change came from, for messages (file and entry number).
    """

    layer: str
    action: str
    ids: tuple[str, ...] = ()
    where: Mapping[str, object] = field(default_factory=dict)
    values: Mapping[str, object] = field(default_factory=dict)
    features: gpd.GeoDataFrame | None = None
    label: str = "scenario"

    def __post_init__(self) -> None:
        problems = []
        if isinstance(self.ids, str):  # a lone id would be read as its characters
            problems.append(f"ids: expected a tuple of ids, got the text {self.ids!r}")
        if self.layer not in SCHEMAS:
            problems.append(f"unknown layer {self.layer!r}; known: {sorted(SCHEMAS)}")
        if self.action not in ACTIONS:
            problems.append(f"unknown action {self.action!r}; expected one of {ACTIONS}")
        if self.action == "add" and (self.features is None or len(self.features) == 0):
            problems.append("'add' needs features")
        if self.action in ("remove", "set") and not (self.ids or self.where):
            problems.append(f"{self.action!r} needs 'ids' or 'where' to select features")
        if self.action == "set" and not self.values and self.features is None:
            problems.append("'set' needs 'values' or features with new geometry")
        if problems:
            raise LayerSchemaError(self.label, problems)


@dataclass(frozen=True)
class Scenario:
    """A named list of changes.

    Attributes
    ----------
    name : str
        Short name (English).
    name_zh : str
        Chinese name.
    description : str
        What the scenario represents and where its facts come from.
    changes : tuple of Change
        Applied in order.
    """

    name: str
    changes: tuple[Change, ...]
    name_zh: str = ""
    description: str = ""


#: A scenario document larger than this is refused before it is parsed (bytes).
MAX_SCENARIO_BYTES = 1_000_000
#: YAML aliases (``*name``) a scenario may use, and the nodes it may expand to:
#: a few hundred bytes of nested aliases otherwise expand to gigabytes.
MAX_ALIASES = 100
MAX_NODES = 100_000

#: The keys of a scenario document and of each change, with what each holds.
DOCUMENT_KEYS = {
    "name": "text",
    "name_zh": "text",
    "description": "text",
    "changes": "a list of changes",
}
CHANGE_KEYS = {
    "layer": f"one of {', '.join(SCHEMAS)}",
    "action": f"one of {', '.join(ACTIONS)}",
    "ids": "a list of feature ids, e.g. [fac-chc-wushan]",
    "where": "a mapping of column to value or list of values, e.g. {status: [planned]}",
    "values": "a mapping of column to new value, e.g. {status: existing}",
    "file": "the name of a vector file beside the scenario, e.g. new_parks.geojson",
}
#: Keys each action uses (a key another action needs is refused, not ignored).
ACTION_KEYS = {
    "add": {"layer", "action", "file"},
    "remove": {"layer", "action", "ids", "where"},
    "set": {"layer", "action", "ids", "where", "values", "file"},
}

_Scalar = (str, int, float, bool)


class _Refused(Exception):
    """A YAML document refused while it is composed (too many aliases)."""


class _CappedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting aliases as it composes the document."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                msg = f"more than {MAX_ALIASES} YAML aliases (*name); a scenario needs few if any"
                raise _Refused(msg)
        return super().compose_node(parent, index)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes a document holds once every alias is expanded (shared nodes memoised)."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # a node reached again while it is being counted
        if isinstance(node, yaml.SequenceNode):
            memo[key] += sum(_expanded_size(n, memo) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            memo[key] += sum(
                _expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value
            )
        if memo[key] > MAX_NODES:
            msg = (
                f"its aliases expand to more than {MAX_NODES:,} values (a YAML alias bomb?); "
                "a scenario needs far fewer"
            )
            raise _Refused(msg)
    return memo[key]


def _load_yaml(p: Path) -> object:
    """The YAML document of a scenario file: size, encoding and aliases capped before use."""
    if not p.is_file():
        msg = f"{p}: file not found" if not p.exists() else f"{p}: is a folder, not a scenario"
        raise DataSourceError(msg)
    size = p.stat().st_size
    if size > MAX_SCENARIO_BYTES:
        msg = f"{p}: {size:,} bytes; a scenario file holds at most {MAX_SCENARIO_BYTES:,}"
        raise DataSourceError(msg)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = " (it reads as GBK)" if _decodes(raw, "gbk") else ""
        msg = f"{p}: not UTF-8 text{hint}; save the scenario as UTF-8"
        raise DataSourceError(msg) from exc
    loader = _CappedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {})
        return loader.construct_document(node)
    except _Refused as exc:
        msg = f"{p}: refused: {exc}"
        raise DataSourceError(msg) from exc
    except RecursionError as exc:
        msg = f"{p}: refused: lists or mappings nested too deeply"
        raise DataSourceError(msg) from exc
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        msg = f"{p}: not valid YAML: {detail}"
        raise DataSourceError(msg) from exc
    finally:
        loader.dispose()


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _what(value: object) -> str:
    """A value as a message names it: its kind and (shortened) text."""
    if value is None:
        return "nothing (null)"
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if isinstance(value, bool):
        return f"{shown} (true or false)"
    if isinstance(value, int | float):
        return f"the number {shown}"
    if isinstance(value, str):
        return f"the text {shown}"
    if isinstance(value, list):
        return f"a list ({shown})"
    if isinstance(value, dict):
        return f"a mapping ({shown})"
    return f"a {type(value).__name__}"


def _bad_key(where: str, key: str, expected: str, value: object) -> str:
    return f"{where}key {key!r}: expected {expected}, got {_what(value)}"


def _check_document(doc: object) -> list[str]:
    """Problems of the scenario document's top level (not of its changes)."""
    if not isinstance(doc, dict):
        return [f"expected a mapping with a 'changes' list, got {_what(doc)}"]
    problems = [
        f"unknown key {k!r}; expected some of {sorted(DOCUMENT_KEYS)}"
        for k in doc
        if k not in DOCUMENT_KEYS
    ]
    if not isinstance(doc.get("changes"), list):
        problems.append(_bad_key("", "changes", "a 'changes' list", doc.get("changes")))
    for key in ("name", "name_zh", "description"):
        if key in doc and not isinstance(doc[key], str | int | float):
            problems.append(_bad_key("", key, "text", doc[key]))
    return problems


def _check_selection(entry: dict, where: str) -> list[str]:
    problems = []
    ids = entry.get("ids")
    if "ids" in entry and (
        not isinstance(ids, list)
        or not all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids)
    ):
        problems.append(_bad_key(where, "ids", CHANGE_KEYS["ids"], ids))
    filt = entry.get("where")
    if "where" in entry and (
        not isinstance(filt, dict)
        or not filt
        or not all(
            isinstance(k, str)
            and (
                isinstance(v, _Scalar)
                or (isinstance(v, list) and all(isinstance(x, _Scalar) for x in v))
            )
            for k, v in filt.items()
        )
    ):
        problems.append(_bad_key(where, "where", CHANGE_KEYS["where"], filt))
    return problems


def _check_values(entry: dict, where: str) -> list[str]:
    values = entry.get("values")
    if "values" not in entry:
        return []
    if not isinstance(values, dict) or not values:
        return [_bad_key(where, "values", CHANGE_KEYS["values"], values)]
    schema = SCHEMAS.get(str(entry.get("layer")))
    if schema is None:
        return []
    kinds = {**schema.all_columns, **OPTIONAL_COLUMNS}
    problems = []
    for column, value in values.items():
        if column in (schema.id_column, "geometry"):
            problems.append(
                f"{where}key 'values': cannot set {column!r}; ids and geometry are "
                "changed by removing and adding features, or by a 'set' file"
            )
        elif column in kinds and not _fits(value, kinds[column]):
            problems.append(
                f"{where}key 'values', column {column!r}: "
                f"expected {_KIND_TEXT[kinds[column]]}, got {_what(value)}"
            )
    return problems


_KIND_TEXT = {
    STR: "non-empty text",
    INT: "a whole number",
    FLOAT: "a number",
    OPT_FLOAT: "a number or null",
    BOOL: "true or false",
    OPT_BOOL: "true, false or null",
}


def _fits(value: object, kind: str) -> bool:
    """Whether a value a scenario sets can go into a column of that kind."""
    if kind in (BOOL, OPT_BOOL):
        return isinstance(value, bool) or (kind == OPT_BOOL and value is None)
    if kind == STR:
        return isinstance(value, str) and value.strip() != ""
    if value is None:
        return kind == OPT_FLOAT
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value >= 0 and (kind != INT or float(value).is_integer())


def _check_change(entry: object, where: str) -> list[str]:
    """Every problem of one change entry, each naming the key at fault."""
    if not isinstance(entry, dict):
        return [f"{where}expected a mapping with 'layer' and 'action', got {_what(entry)}"]
    problems = [
        f"{where}unknown key {k!r}; expected some of {list(CHANGE_KEYS)}"
        for k in entry
        if k not in CHANGE_KEYS
    ]
    for key in ("layer", "action"):
        known = SCHEMAS if key == "layer" else ACTIONS
        if key not in entry:
            problems.append(f"{where}key {key!r} is missing; expected {CHANGE_KEYS[key]}")
        elif entry[key] not in known:
            problems.append(_bad_key(where, key, CHANGE_KEYS[key], entry[key]))
    if "file" in entry and not (isinstance(entry["file"], str) and entry["file"].strip()):
        problems.append(_bad_key(where, "file", CHANGE_KEYS["file"], entry["file"]))
    problems += _check_selection(entry, where) + _check_values(entry, where)
    action = entry.get("action")
    if action in ACTION_KEYS:
        unused = sorted(set(entry) & set(CHANGE_KEYS) - ACTION_KEYS[action])
        problems += [f"{where}key {k!r} has no meaning for action {action!r}" for k in unused]
        if action == "add" and "file" not in entry:
            problems.append(f"{where}'add' needs key 'file' (the features to add)")
    return problems


def _confined(base: Path, name: str, allow_outside: bool) -> Path:
    """The file a change names, refused outside the scenario's folder unless allowed."""
    path = (base / name).resolve()
    if not allow_outside and not path.is_relative_to(base.resolve()):
        msg = (
            f"key 'file': {name!r} is outside the scenario's folder {base}; put the file beside "
            "the scenario, or allow it (tianhe-geo --allow-outside, "
            "read_scenario(..., allow_outside=True))"
        )
        raise DataSourceError(msg)
    return path


def _scenario_change(entry: dict, base: Path, label: str, allow_outside: bool) -> Change:
    """A change from an entry that passed :func:`_check_change`."""
    features = None
    ids = tuple(map(str, entry.get("ids", ())))
    if "file" in entry:
        layer = str(entry["layer"])
        try:
            path = _confined(base, entry["file"], allow_outside)
            features = read_layer_table(path, SCHEMAS[layer])
        except (DataSourceError, LayerSchemaError) as exc:
            msg = f"{label}: {exc}"
            raise DataSourceError(msg) from exc
        id_col = SCHEMAS[layer].id_column
        if entry["action"] == "set":
            if id_col not in features.columns:
                problem = (
                    f"key 'file': {entry['file']} has no {id_col!r} column; a 'set' file "
                    f"names the {layer} features it moves by their {id_col!r}"
                )
                raise LayerSchemaError(label, [problem])
            if not ids and "where" not in entry:
                ids = tuple(features[id_col].astype(str))
    return Change(
        layer=str(entry["layer"]),
        action=str(entry["action"]),
        ids=ids,
        where=dict(entry.get("where") or {}),
        values=dict(entry.get("values") or {}),
        features=features,
        label=label,
    )


def _feature_problems(gdf: gpd.GeoDataFrame) -> list[str]:
    """Problems of a GeoJSON scenario's features, each naming the feature (numbered from 1)."""
    problems = [
        f"every feature needs the property {c!r}; expected {CHANGE_KEYS[c]}"
        for c in ("layer", "action")
        if c not in gdf.columns
    ]
    if problems:
        return problems
    for i, (layer, action) in enumerate(zip(gdf["layer"], gdf["action"], strict=True)):
        where = f"feature #{i + 1}: "
        if layer not in SCHEMAS:
            problems.append(_bad_key(where, "layer", CHANGE_KEYS["layer"], _plain(layer)))
        if action not in ACTIONS:
            problems.append(_bad_key(where, "action", CHANGE_KEYS["action"], _plain(action)))
        if layer in SCHEMAS and action in ("remove", "set"):
            id_col = SCHEMAS[layer].id_column
            fid = gdf[id_col].iloc[i] if id_col in gdf.columns else None
            if _plain(fid) in (None, ""):
                problems.append(
                    f"{where}property {id_col!r} is empty; a {action!r} feature names the "
                    f"{layer} feature it changes by its {id_col!r}"
                )
    return problems[:20]


def _plain(value: object) -> object:
    """A property as read (NaN for a missing one) as the value it stands for."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _geojson_changes(path: Path) -> tuple[Change, ...]:
    gdf = read_vector(path)
    problems = _feature_problems(gdf)
    if problems:
        raise LayerSchemaError(str(path), problems)
    changes = []
    for (layer, action), part in gdf.groupby(["layer", "action"], sort=False):
        label = f"{path} ({action} {layer})"
        schema = SCHEMAS[layer]
        body = part.drop(columns=["layer", "action"])
        # Features of several layers share one file: drop the other layers' columns.
        empty = [c for c in body.columns if c != body.geometry.name and body[c].isna().all()]
        body = read_numbers(read_bools(body.drop(columns=empty), schema), schema)
        if action == "add":
            changes.append(Change(layer, action, features=body, label=label))
            continue
        ids = tuple(body[schema.id_column].astype(str))
        if action == "remove":
            changes.append(Change(layer, action, ids=ids, label=label))
            continue
        for i, (_, row) in enumerate(body.iterrows()):
            values = {
                k: v
                for k, v in row.items()
                if k not in (schema.id_column, body.geometry.name) and pd.notna(v)
            }
            geom = row[body.geometry.name]
            has_geom = isinstance(geom, shapely.Geometry) and not geom.is_empty
            moved = body.iloc[[i]] if has_geom else None
            changes.append(
                Change(layer, action, ids=(ids[i],), values=values, features=moved, label=label)
            )
    return tuple(changes)


def read_scenario(path: str | os.PathLike[str], allow_outside: bool = False) -> Scenario:
    """Read a scenario from YAML (with vector files beside it) or from one GeoJSON.

    YAML form (UTF-8)::

        name: Plan 2025
        name_zh: 十四五规划项目
        description: what it represents and its sources
        changes:
          - {layer: facilities, action: set, where: {status: planned}, values: {status: existing}}
          - {layer: parks, action: add, file: new_parks.geojson}
          - {layer: facilities, action: remove, ids: [clinic-07]}

    The document is checked against :data:`DOCUMENT_KEYS` and
    :data:`CHANGE_KEYS` (every problem at once, each naming the change and
    key), before any file it names is read. ``file`` is read relative to the
    scenario's folder and must stay inside it unless ``allow_outside``. A
    ``set`` with a ``file`` moves the features the file names by id (all of
    them when ``ids`` and ``where`` are not given). Documents larger than
    :data:`MAX_SCENARIO_BYTES`, or using more than :data:`MAX_ALIASES`
    aliases or expanding to more than :data:`MAX_NODES` values, are refused.

    GeoJSON form: every feature has properties ``layer`` and ``action``
    (``add`` / ``remove`` / ``set``) besides the layer's own columns; ``remove``
    and ``set`` find features by the layer's id column, ``set`` overwrites the
    non-empty properties and, when present, the geometry.

    Parameters
    ----------
    path : path-like
        ``.yaml`` / ``.yml`` or ``.geojson`` file.
    allow_outside : bool, default False
        Let ``file:`` entries point outside the scenario's folder.

    Returns
    -------
    tianhe_geo.scenario.Scenario
        The scenario (not yet applied).

    Raises
    ------
    DataSourceError
        Missing, oversized, non-UTF-8 or unreadable file; a ``file:`` outside
        the scenario's folder.
    LayerSchemaError
        The document breaks the scenario schema, naming each change and key.
    """
    p = Path(path)
    if p.suffix.lower() == ".geojson":
        return Scenario(name=p.stem, changes=_geojson_changes(p))
    if p.suffix.lower() not in (".yaml", ".yml"):
        msg = f"{p}: a scenario is a .yaml/.yml or .geojson file"
        raise DataSourceError(msg)
    doc = _load_yaml(p)
    problems = _check_document(doc)
    if not problems and isinstance(doc, dict):
        for i, entry in enumerate(doc["changes"]):
            problems += _check_change(entry, f"change #{i + 1} ")
    if problems:
        raise LayerSchemaError(str(p), problems[:20])
    assert isinstance(doc, dict)  # for the type checker: _check_document said so
    changes = tuple(
        _scenario_change(entry, p.parent, f"{p} change #{i + 1}", allow_outside)
        for i, entry in enumerate(doc["changes"])
    )
    return Scenario(
        name=str(doc.get("name", p.stem)),
        name_zh=str(doc.get("name_zh", "")),
        description=str(doc.get("description", "")),
        changes=changes,
    )
