"""Static charts for the planning report, rendered to PNG bytes with matplotlib.

Charts take their words from :mod:`tianhe_geo.foundation.i18n` in the report's
language. Chinese needs a CJK font: :func:`cjk_font` registers the first of
:data:`~tianhe_geo.foundation.config.CJK_FONT_FILES` found on disk (never a
download) and charts list it after DejaVu Sans, so matplotlib's per-glyph
fallback draws Latin text in DejaVu and Chinese in the CJK font. Without one,
the report leaves its Chinese charts out and says so (:func:`can_draw`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

from ..foundation.config import CJK_FONT_FILES
from ..foundation.i18n import LABELS, label

_LABEL_KEYS = frozenset(LABELS)

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


@cache
def cjk_font(files: tuple[str, ...] = CJK_FONT_FILES) -> str | None:
    """Register the first CJK font file found on disk with matplotlib; its family name.

    Parameters
    ----------
    files : tuple of str
        Font files to try, in order (``.ttc`` / ``.otf`` / ``.ttf``).

    Returns
    -------
    str or None
        The family matplotlib knows it by (e.g. ``"Noto Sans CJK JP"``: the
        collection's first face, which carries every simplified Chinese
        glyph); None when no file exists.
    """
    for path in files:
        if os.path.isfile(path):
            font_manager.fontManager.addfont(path)  # the file only: no cache rebuild, no network
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


def can_draw(lang: str) -> bool:
    """Whether charts in ``lang`` can be drawn legibly (Chinese needs a CJK font)."""
    return lang != "zh" or cjk_font() is not None


@contextmanager
def _style(lang: str) -> Iterator[None]:
    """Fonts for a chart in ``lang``: DejaVu Sans, then the CJK font for the glyphs it lacks."""
    families = ["DejaVu Sans"]
    cjk = cjk_font()
    if cjk is not None:
        families.append(cjk)
    # Fixed metadata and hashing: the same chart is the same bytes on every run.
    with plt.rc_context(
        {"font.family": families, "svg.hashsalt": "tianhe", "axes.unicode_minus": False}
    ):
        yield


def _labels(index: pd.Index) -> list[str]:
    return [plain_text(v) for v in index]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def share_by_subdistrict(
    shares: pd.Series, title: str, target: float | None = None, lang: str = "en"
) -> bytes:
    """Horizontal bars of the share of residents covered, one per subdistrict.

    Parameters
    ----------
    shares : pandas.Series
        Share covered (0-1) indexed by subdistrict label.
    title : str
        Chart title.
    target : float, optional
        Target share (0-1) drawn as a vertical line; bars below it are red.
    lang : {'zh', 'en'}
        Language of the axis words.

    Returns
    -------
    bytes
        PNG image.
    """
    s = shares.sort_values()
    colours = [SHORT if target is not None and v < target else COVERED for v in s]
    with _style(lang):
        fig, ax = plt.subplots(figsize=(7, 0.26 * len(s) + 1.2))
        # Bars by position, labelled after: two subdistricts may share a name.
        ax.barh(range(len(s)), 100 * s.to_numpy(), color=colours)
        ax.set_yticks(range(len(s)), _labels(s.index))
        if target is not None:
            ax.axvline(100 * target, color=TARGET, linestyle="--", linewidth=1)
            words = label("chart_target", lang, target=round(100 * target))
            ax.text(100 * target, len(s) - 0.4, words, fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel(label("chart_share_axis", lang))
        ax.set_title(plain_text(title), fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        return _png(fig)


def indicators_vs_target(table: pd.DataFrame, lang: str = "en") -> bytes:
    """Bars of each plan indicator as a percentage of its target, where it can be judged.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by indicator with ``value``, ``target``, ``met`` (True, False
        or None), ``comparable`` and ``lower_bound`` columns.
    lang : {'zh', 'en'}
        Language of the names and words.

    Returns
    -------
    bytes
        PNG image, one row per indicator: a bar only for a value on the
        plan's basis (green met, red not met, grey a lower bound below the
        target, marked so); a value of another period or scope, or none, is
        written as words instead of a bar, so no bar reads as progress the
        table calls not comparable.
    """
    comparable = table.get("comparable", pd.Series(True, index=table.index)).fillna(True)
    drawn = table["value"].notna() & comparable.astype(bool) & (table["target"] > 0)
    pct = (100 * table["value"] / table["target"]).where(drawn, 0.0)
    names = [label(f"ind_{k}", lang) if f"ind_{k}" in _LABEL_KEYS else str(k) for k in table.index]
    low = table.get("lower_bound", pd.Series(False, index=table.index)).fillna(False)
    names = [
        n + (label("chart_lower_bound", lang) if d and bool(b) else "")
        for n, d, b in zip(names, drawn, low, strict=True)
    ]
    with _style(lang):
        fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(table), 1) + 1.2))
        ax.barh(range(len(pct)), pct.clip(upper=150), color=met_colours(table["met"]))
        for i, (ok, v) in enumerate(zip(drawn, table["value"], strict=True)):
            if not ok:
                why = "chart_not_measured" if pd.isna(v) else "chart_not_comparable"
                ax.text(2, i, label(why, lang), va="center", fontsize=8, color="#616161")
        ax.set_yticks(range(len(pct)), _labels(pd.Index(names)))
        ax.axvline(100, color=TARGET, linestyle="--", linewidth=1)
        ax.set_xlim(0, 150)
        ax.set_xlabel(label("chart_ind_axis", lang))
        ax.set_title(label("chart_ind_title", lang), fontsize=10)
        return _png(fig)


def met_colours(met: pd.Series) -> list[str]:
    """Bar colour per verdict: met green, not met red, unknown (None / NA) grey."""
    return [UNKNOWN if m is None or pd.isna(m) else COVERED if bool(m) else SHORT for m in met]


def scenario_change(table: pd.DataFrame, title: str, lang: str = "en") -> bytes:
    """Before / after bars of the district share covered per standard.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by standard label with ``share_before`` and ``share_after`` (0-1).
    title : str
        Chart title.
    lang : {'zh', 'en'}
        Language of the axis words.

    Returns
    -------
    bytes
        PNG image.
    """
    y = range(len(table))
    with _style(lang):
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.2))
        before, after = label("chart_before", lang), label("chart_after", lang)
        ax.barh([i + 0.2 for i in y], 100 * table["share_before"], 0.4, label=before, color=UNKNOWN)
        ax.barh([i - 0.2 for i in y], 100 * table["share_after"], 0.4, label=after, color=COVERED)
        ax.set_yticks(list(y), _labels(table.index), fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel(label("chart_share_axis", lang))
        ax.set_title(plain_text(title), fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
        return _png(fig)
