"""What every figure shares: saving (atomically), captions, stacked firing-mode bars,
log dose axes and unit labels.

:func:`save_figure` writes each format to a temporary file first and renames it
into place, so a figure file is never left half written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import analysis
from . import style

if TYPE_CHECKING:
    import pandas

__all__ = ["add_caption", "log_dose_axis", "save_figure", "stacked_modes", "unit_label"]


def save_figure(fig: Figure, path_without_suffix, formats=("png", "svg"), dpi: int = 150,
                *, tight: bool = True):
    """Write ``fig`` as ``<path>.<format>`` for each format, atomically.

    ``tight`` crops to what is drawn (text outside the axes included), at the cost of a
    second draw; a figure with everything inside its frame can skip it.

    Returns
    -------
    list of Path
        The files written.
    """
    base = Path(path_without_suffix)
    written = []
    for fmt in formats:
        target = base.parent / f"{base.name}.{fmt}"
        handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{base.name}-",
                                       suffix=f".{fmt}")
        os.close(handle)
        try:
            metadata = {"Date": None} if fmt in ("svg", "pdf") else None
            with style.context():  # SVG ids and fonts as in the style: reproducible files
                fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight" if tight else None,
                            metadata=metadata)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        written.append(target)
    return written


def add_caption(fig: Figure, criteria, extra: str = "", *, bursts: bool = True) -> None:
    """A caption line under the figure; with ``bursts`` it ends with the burst criteria."""
    criteria = criteria or analysis.DEFAULT_CRITERIA
    rule = f"Burst criteria: {criteria.describe()}." if bursts else ""
    text = " ".join(part for part in (extra.strip(), rule) if part)
    fig.text(0.5, 0.0, text, ha="center", va="top", fontsize="small", wrap=True)


def stacked_modes(ax, labels, fractions: pandas.DataFrame) -> None:
    """Horizontal stacked bars of silent/tonic/burst fractions, one bar per label."""
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for mode in analysis.MODES:
        width = fractions[f"frac_{mode}"].to_numpy(float)
        ax.barh(y, width, left=left, color=style.PALETTE[mode], label=mode, edgecolor="white")
        left += np.nan_to_num(width)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of cells")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(analysis.MODES),
              frameon=False, title="firing mode", handlelength=1.2, columnspacing=1.0)


def log_dose_axis(ax) -> None:
    """Log dose axis with plain numbers (0.1, 1, 10) instead of powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))


def unit_label(unit: str) -> str:
    """``mS/cm2`` as mathtext ``mS/cm$^2$``."""
    return unit.replace("cm2", "cm$^2$")
