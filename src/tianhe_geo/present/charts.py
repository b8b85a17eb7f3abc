"""Static charts for the planning report, rendered to PNG bytes with matplotlib.

Charts use English labels: the report must render on machines without a CJK
font, where matplotlib would draw Chinese as empty boxes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

COVERED = "#31a354"
SHORT = "#de2d26"
UNKNOWN = "#bdbdbd"
TARGET = "#252525"


def plain_text(text: object) -> str:
    r"""Text that matplotlib draws as it is, never as mathematics.

    Matplotlib reads ``$...$`` in any label as mathtext: a subdistrict or
    scenario named ``$\frac{1$`` would stop the report, and ``$x^2$`` would be
    drawn as a formula. An escaped dollar (``\$``) is drawn as a dollar sign.

    Parameters
    ----------
    text : object
        A label (user data: names, titles).

    Returns
    -------
    str
        The label with every ``$`` escaped.
    """
    return str(text).replace("$", r"\$")


def _labels(index: pd.Index) -> list[str]:
    return [plain_text(v) for v in index]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def share_by_subdistrict(shares: pd.Series, title: str, target: float | None = None) -> bytes:
    """Horizontal bars of the share of residents covered, one per subdistrict.

    Parameters
    ----------
    shares : pandas.Series
        Share covered (0-1) indexed by subdistrict label (English).
    title : str
        Chart title.
    target : float, optional
        Target share (0-1) drawn as a vertical line; bars below it are red.

    Returns
    -------
    bytes
        PNG image.
    """
    s = shares.sort_values()
    colours = [SHORT if target is not None and v < target else COVERED for v in s]
    fig, ax = plt.subplots(figsize=(7, 0.26 * len(s) + 1.2))
    # Bars by position, labelled after: two subdistricts may share a name.
    ax.barh(range(len(s)), 100 * s.to_numpy(), color=colours)
    ax.set_yticks(range(len(s)), _labels(s.index))
    if target is not None:
        ax.axvline(100 * target, color=TARGET, linestyle="--", linewidth=1)
        ax.text(100 * target, len(s) - 0.4, f" target {100 * target:.0f} %", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("residents covered (%)")
    ax.set_title(plain_text(title), fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def indicators_vs_target(table: pd.DataFrame) -> bytes:
    """Bars of each plan indicator as a percentage of its target.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by indicator with ``value``, ``target`` and ``met`` (True,
        False or None) columns; indicators without a value are left out.

    Returns
    -------
    bytes
        PNG image: green met, red not met, grey unknown (a lower bound below
        the target, or a figure for another window), whatever the bar's length.
    """
    known = table[table["value"].notna() & (table["target"] > 0)]
    pct = 100 * known["value"] / known["target"]
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(pct), 1) + 1.2))
    ax.barh(range(len(pct)), pct.clip(upper=150), color=met_colours(known["met"]))
    ax.set_yticks(range(len(pct)), _labels(known.index))
    ax.axvline(100, color=TARGET, linestyle="--", linewidth=1)
    ax.set_xlabel("value as % of the 2025 target (capped at 150 %); grey: met unknown")
    ax.set_title("Plan indicators against their targets", fontsize=10)
    return _png(fig)


def met_colours(met: pd.Series) -> list[str]:
    """Bar colour per verdict: met green, not met red, unknown (None / NA) grey."""
    return [UNKNOWN if m is None or pd.isna(m) else COVERED if bool(m) else SHORT for m in met]


def scenario_change(table: pd.DataFrame, title: str) -> bytes:
    """Before / after bars of the district share covered per standard.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by standard with ``share_before`` and ``share_after`` (0-1).
    title : str
        Chart title.

    Returns
    -------
    bytes
        PNG image.
    """
    y = range(len(table))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.2))
    ax.barh([i + 0.2 for i in y], 100 * table["share_before"], 0.4, label="before", color="#bdbdbd")
    ax.barh([i - 0.2 for i in y], 100 * table["share_after"], 0.4, label="after", color=COVERED)
    ax.set_yticks(list(y), _labels(table.index), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("residents covered (%)")
    ax.set_title(plain_text(title), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)
