"""One look for every habmodel figure: projector-sized text and one colour-blind-safe palette.

Every plotting function of :mod:`habmodel.plotting` and
:mod:`habmodel.plotting.protocols` draws inside :func:`context` (and
:func:`habmodel.plotting.save_figure` saves inside it), so the figures look
the same whoever calls them, and matplotlib's global settings are never
changed: the style is applied with :func:`matplotlib.rc_context` for the
duration of one call only. Use it for your own figures the same way::

    from matplotlib.figure import Figure
    from habmodel.plotting import style

    with style.context():
        fig = Figure(figsize=style.FIGSIZE_WIDE, layout="constrained")
        ax = fig.add_subplot()
        ax.plot(t, v, color=style.PALETTE["depressed"])

Colours (:data:`PALETTE`): Paul Tol's "bright" qualitative set, designed to
stay distinguishable with every common colour-vision deficiency and in
greyscale print, plus Tol's dark wine for bursting. The same colour always
means the same thing: a condition (control, depressed), a drug (ketamine,
AP5, mibefradil) or a firing mode (silent, tonic, burst).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import MappingProxyType

import matplotlib
from cycler import cycler

__all__ = ["PALETTE", "MARKERS", "TOL_BRIGHT", "GREY", "RC", "FIGSIZE_WIDE", "context",
           "styled", "color_of", "marker_of", "label_color", "sequential"]

#: Paul Tol's "bright" qualitative scheme (https://personal.sron.nl/~pault/), in his order.
TOL_BRIGHT = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")

#: Neutral grey for reference lines and annotations (readable on white and on a projector).
GREY = "#666666"

#: One colour per condition, drug and firing mode, the same in every figure.
PALETTE: MappingProxyType[str, str] = MappingProxyType({
    # conditions (habmodel.CONDITIONS)
    "control": "#4477AA",  # blue
    "depressed": "#EE6677",  # red
    # drugs (habmodel.DRUGS); "none" is the drug-free reference
    "none": "#000000",  # black
    "ketamine": "#228833",  # green
    "ap5": "#AA3377",  # purple
    "mibefradil": "#CCBB44",  # yellow
    # firing modes (habmodel.analysis.MODES)
    "silent": "#BBBBBB",  # grey
    "tonic": "#66CCEE",  # cyan
    "burst": "#882255",  # wine (Tol's "muted" set): dark, so bursts stand out
})

#: One marker per drug (and "none"), so that overlapping drug curves stay distinguishable.
MARKERS: MappingProxyType[str, str] = MappingProxyType({
    "none": "o", "ketamine": "s", "ap5": "^", "mibefradil": "D"})

#: A figure size (inches) that keeps the fonts of :data:`RC` readable when projected.
FIGSIZE_WIDE = (11.0, 4.4)

#: The rc settings applied by :func:`context`: large text for a projector, thick lines,
#: the palette as the colour cycle and fixed SVG ids (byte-identical SVG files).
RC: MappingProxyType[str, object] = MappingProxyType({
    "font.size": 14,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 16,
    "axes.linewidth": 1.0,
    "lines.linewidth": 2.0,
    "lines.markersize": 7,
    "errorbar.capsize": 3,
    "axes.prop_cycle": cycler(color=list(TOL_BRIGHT)),
    "image.cmap": "cividis",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.hashsalt": "habmodel",
    "svg.fonttype": "path",
})


@contextmanager
def context() -> Iterator[None]:
    """Apply :data:`RC` for the duration of a ``with`` block (matplotlib's settings are
    restored afterwards; nothing global changes)."""
    with matplotlib.rc_context(dict(RC)):
        yield


def styled(func: Callable) -> Callable:
    """Decorator: run a figure-making function inside :func:`context`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with context():
            return func(*args, **kwargs)

    return wrapper


def color_of(key: str, default: str = "#000000") -> str:
    """The colour of a condition, drug or firing mode (case-insensitive), else ``default``."""
    return PALETTE.get(str(key).lower(), default)


def marker_of(key: str, default: str = "o") -> str:
    """The marker of a drug (:data:`MARKERS`), else ``default``."""
    return MARKERS.get(str(key).lower(), default)


def label_color(label: str) -> str:
    """The colour of a condition label such as ``"depressed + ketamine 3 uM"``.

    A drug in the label wins (the drug's colour); otherwise the condition's colour.
    """
    from ..model.drugs import DRUGS
    from ..model.parameters import CONDITIONS

    lowered = str(label).lower()
    for drug in DRUGS:
        if drug in lowered:
            return color_of(drug)
    for condition in CONDITIONS:
        if lowered.startswith(condition):
            return color_of(condition)
    return color_of(lowered.split(" ")[0])


def sequential(n: int, start: float = 0.0, stop: float = 0.85) -> list:
    """``n`` colours of the colour-blind-safe, perceptually uniform ``cividis`` map."""
    from matplotlib import colormaps

    cmap = colormaps["cividis"]
    if n <= 0:
        return []
    if n == 1:
        return [cmap(start)]
    return [cmap(start + (stop - start) * i / (n - 1)) for i in range(n)]
