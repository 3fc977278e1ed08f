"""The plotting layer: tables and results in, a :class:`matplotlib.figure.Figure` out.

==================  ===================================================================
:mod:`.style`       the look (palette, markers, text sizes), applied locally
:mod:`.layout`      saving figures atomically, captions, shared axes and bars
:mod:`.traces`      voltage traces of a simulation result, with bursts marked
:mod:`.protocols`   the pharmacology panel, dose-response and rebound figures
:mod:`.maps`        the firing-mode map and the jittered population
:mod:`.curves`      the steady-state I-V and the teaching curves
==================  ===================================================================

Nothing here runs a simulation; nothing uses pyplot or changes matplotlib's global
settings. The public names of these modules are names of this package:

>>> import habmodel
>>> from habmodel.plotting import plot_trace, save_figure
>>> result = habmodel.simulate("depressed", duration="1 s", seed=1, record_v=True)
>>> [path.name for path in save_figure(plot_trace(result), "trace")]
['trace.png', 'trace.svg']
"""

import importlib

#: the public names of this package and the module each lives in; a submodule (and
#: matplotlib, pandas) is imported when one of its names is first used, so that
#: ``habmodel simulate`` imports only what its trace figure needs (tests/test_figures.py
#: checks this table against each module's ``__all__``)
_EXPORTS = {
    "layout": ("add_caption", "log_dose_axis", "save_figure", "stacked_modes", "unit_label"),
    "traces": ("draw_trace", "first_burst_window", "plot_conditions", "plot_trace"),
    "protocols": ("PALETTE", "PLASMA_LEVELS_UM", "plot_panel", "plot_dose_response",
                  "plot_rebound", "plot_mode_map", "plot_jitter", "plot_steady_state_iv",
                  "plot_teaching_curves"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    if not name.startswith("_"):  # a submodule: habmodel.plotting.maps, ...
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
