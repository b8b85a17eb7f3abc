"""The plan's 2025 targets, and published facts for the indicators the layers cannot measure.

Doctors per 1,000 residents, elderly-care beds or communities renovated are not
in any shipped layer (or only partly). The district publishes them in
statistical bulletins and work reports; ``data/geo/plan_facts.csv`` records the
best such figure per indicator with its year, derivation and source, and
:func:`tianhe_geo.plan.indicators.indicators` falls back on it when the layers give no
value. An analyst with newer figures passes their own table in the same form.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation.errors import DataSourceError, LayerSchemaError
from ..foundation.standards import PLAN_SOURCE, PLAN_TARGETS
from .paths import FACTS_FILE, data_dir

__all__ = [
    "COMPARABLE",
    "FACT_COLUMNS",
    "PLAN_SOURCE",
    "PLAN_TARGETS",
    "SHIPPED_AREA_ID",
    "is_shipped_area",
    "load_plan_facts",
    "no_plan_facts",
    "read_plan_facts",
]

#: Columns of a plan-facts table.
FACT_COLUMNS = ("indicator", "value", "unit", "year", "scope", "derivation", "source", "accuracy")
#: Optional column: ``no`` marks a figure not on the plan's basis (another time window
#: or scope), shown but unable to tell whether the target is met; empty or ``yes``
#: (the default) means comparable.
COMPARABLE = "comparable"


def read_plan_facts(
    path: str | os.PathLike[str], indicators: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Read and check a table of published indicator values.

    Parameters
    ----------
    path : path-like
        CSV (UTF-8) with the columns of :data:`FACT_COLUMNS`; ``value`` may be
        empty where nothing was found. An optional ``comparable`` column
        (``yes``/``no``, empty = yes) says whether a figure is on the plan's
        basis (same window and scope as the target).
    indicators : tuple of str, optional
        Allowed indicator names (default: the plan's, see
        :data:`PLAN_TARGETS`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``indicator``; ``value`` float (NaN when not found), ``year``
        nullable integer, ``comparable`` bool.

    Raises
    ------
    DataSourceError
        Missing or unreadable file.
    LayerSchemaError
        Every problem at once, naming file, row and column: missing columns,
        unknown or duplicate indicators, non-numeric values or years.
    """
    if indicators is None:
        indicators = tuple(PLAN_TARGETS)
    p = Path(path)
    raw = _read_csv(p)
    missing = [c for c in FACT_COLUMNS if c not in raw.columns]
    if missing:
        problem = f"missing column(s) {missing}; expected the columns {', '.join(FACT_COLUMNS)}"
        raise LayerSchemaError(str(p), [problem])
    problems: list[str] = []
    if COMPARABLE not in raw.columns:
        raw[COMPARABLE] = ""
    comparable = raw[COMPARABLE].str.strip().str.lower()
    value = pd.to_numeric(raw["value"].replace("", np.nan), errors="coerce")
    year = pd.to_numeric(raw["year"].replace("", np.nan), errors="coerce")
    for i, row in raw.iterrows():
        line = f"row {i + 2}"  # the header is line 1
        if row["indicator"] not in indicators:
            problems.append(
                f"{line}, column 'indicator': unknown {row['indicator']!r}; "
                f"expected one of {', '.join(indicators)}"
            )
        if row["value"] != "" and not np.isfinite(value[i]):
            problems.append(f"{line}, column 'value': {row['value']!r} is not a number")
        if row["value"] != "" and not np.isfinite(year[i]):
            problems.append(f"{line}, column 'year': a value needs the year it refers to")
        if row["value"] != "" and not row["source"].strip():
            problems.append(f"{line}, column 'source': a value needs its source")
        if comparable[i] not in ("", "yes", "no"):
            problems.append(f"{line}, column {COMPARABLE!r}: {row[COMPARABLE]!r}, not yes or no")
    dup = raw["indicator"][raw["indicator"].duplicated()]
    problems += [f"indicator {d!r} appears more than once" for d in dup]
    if problems:
        raise LayerSchemaError(str(p), problems)
    out = raw.assign(
        value=value.astype(float), year=year.astype("Int64"), comparable=comparable != "no"
    )
    return out.set_index("indicator")[[*FACT_COLUMNS[1:], COMPARABLE]]


def _read_csv(p: Path) -> pd.DataFrame:
    """The CSV as text cells, or one line saying what was expected instead."""
    expected = f"expected a UTF-8 CSV with a header row: {', '.join(FACT_COLUMNS)}"
    if p.is_dir():
        msg = f"{p}: is a folder; {expected}"
        raise DataSourceError(msg)
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        msg = f"{p}: file not found"
        raise DataSourceError(msg) from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{p}: the file is empty; {expected}"
        raise DataSourceError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"{p}: not UTF-8 text (saved as GBK?); save it as UTF-8. {expected}"
        raise DataSourceError(msg) from exc
    except (OSError, pd.errors.ParserError) as exc:
        detail = str(exc).strip().replace("\n", " ")
        msg = f"{p}: cannot be read as CSV ({detail}); {expected}"
        raise DataSourceError(msg) from exc


def load_plan_facts(
    path: str | os.PathLike[str] | None = None, shipped: bool = True
) -> pd.DataFrame:
    """The table of published indicator values: the user's, the shipped one, or none.

    Parameters
    ----------
    path : path-like, optional
        A CSV in the form of :func:`read_plan_facts`; ``None`` reads the
        shipped ``data/geo/plan_facts.csv``, or nothing when ``shipped`` is False.
    shipped : bool, default True
        False for another study area: Tianhe's published figures are not its own.

    Returns
    -------
    pandas.DataFrame
        See :func:`read_plan_facts`; without rows when there are no facts.
    """
    if path is None and not shipped:
        return no_plan_facts()
    return read_plan_facts(data_dir() / FACTS_FILE if path is None else path)


#: Id (NBS division code) of the shipped study area's boundary, 天河区.
SHIPPED_AREA_ID = "440106"


def is_shipped_area(boundary: pd.DataFrame | None) -> bool:
    """Whether a boundary layer is the shipped study area's (Tianhe, :data:`SHIPPED_AREA_ID`).

    The shipped plan facts are Tianhe's published figures: they apply to
    layers of Tianhe, never to another study area's.

    Parameters
    ----------
    boundary : pandas.DataFrame or None
        The loaded ``boundary`` layer (its id as index or ``id`` column).

    Returns
    -------
    bool
        True when every feature's id is ``440106``; False for no boundary.
    """
    if boundary is None or len(boundary) == 0:
        return False
    ids = boundary["id"] if "id" in boundary.columns else pd.Series(boundary.index)
    return bool((ids.astype(str).str.strip() == SHIPPED_AREA_ID).all())


def no_plan_facts() -> pd.DataFrame:
    """An empty plan-facts table (the columns of :func:`read_plan_facts`, no rows).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``indicator``, no rows.
    """
    columns = {c: pd.Series(dtype=object) for c in FACT_COLUMNS}
    empty = pd.DataFrame(columns).assign(
        value=pd.Series(dtype=float),
        year=pd.Series(dtype="Int64"),
        **{COMPARABLE: pd.Series(dtype=bool)},
    )
    return empty.set_index("indicator")[[*FACT_COLUMNS[1:], COMPARABLE]]
