"""The lab's controls: a slider with a text field (linear or log), the ketamine slider's
plasma-level marks, and the decimation of a trace for display."""

from __future__ import annotations

import math

import numpy as np

from . import settings as st

__all__ = ["Field", "decimate", "ketamine_marks"]

_SLIDER_W, _FIELD_W = 220, 90
_OFF = 0.5  # a log slider's leftmost half decade is "off" (0)


def decimate(t, v, buckets: int = 2500):
    """Min and max of each of ``buckets`` bins: every spike stays visible, few points."""
    if t.size <= 2 * buckets:
        return t, v
    n = t.size // buckets * buckets
    tb, vb = t[:n].reshape(buckets, -1), v[:n].reshape(buckets, -1)
    lo, hi = vb.argmin(axis=1), vb.argmax(axis=1)
    rows = np.arange(buckets)
    first = np.minimum(lo, hi)
    second = np.maximum(lo, hi)
    tt = np.column_stack([tb[rows, first], tb[rows, second]]).ravel()
    vv = np.column_stack([vb[rows, first], vb[rows, second]]).ravel()
    return tt, vv


class Field:
    """A slider with a text field beside it; both show the same value."""

    def __init__(self, pn, control: st.Control, value: float, on_value):
        from bokeh.models import CustomJSTickFormatter

        self.c, self._on_value, self._quiet = control, on_value, False
        c = control
        kw = {"label": f"{c.label} ({c.unit})" if c.unit != "1" else c.label,
              "width": _SLIDER_W, "css_classes": [f"slider-{c.name}"]}
        if c.log:
            lo, hi = math.log10(c.low), math.log10(c.high)
            fmt = CustomJSTickFormatter(code=f"return tick < {lo - _OFF / 2} ? 'off' : "
                                        "(10 ** tick).toPrecision(2)")
            self.slider = pn.widgets.FloatSlider(start=lo - _OFF, end=hi, step=c.step,
                                                 value=self._to_slider(value), format=fmt, **kw)
        else:
            self.slider = pn.widgets.FloatSlider(start=c.low, end=c.high, step=c.step,
                                                 value=value, **kw)
        self.text = pn.widgets.TextInput(value=self._text(value), width=_FIELD_W,
                                         css_classes=[f"field-{c.name}"],
                                         label=c.unit if c.unit != "1" else "")
        self.slider.param.watch(self._slid, "value_throttled")
        self.text.param.watch(self._typed, "value")
        self.view = pn.Row(self.slider, self.text, margin=(0, 0))

    def _to_slider(self, value: float) -> float:
        lo = math.log10(self.c.low)
        return lo - _OFF if value <= 0 else min(max(math.log10(value), lo), math.log10(self.c.high))

    def _from_slider(self, x: float) -> float:
        lo = math.log10(self.c.low)
        return 0.0 if x < lo - _OFF / 2 else float(f"{10 ** max(x, lo):.2g}")

    def _text(self, value: float) -> str:
        return str(int(value)) if self.c.name == "seed" else f"{value:g}"

    def set(self, value: float) -> None:
        """Show ``value`` without calling back."""
        self._quiet = True
        try:
            self.slider.value = self._to_slider(value) if self.c.log else value
            self.text.value = self._text(value)
        finally:
            self._quiet = False

    def _slid(self, event) -> None:
        if self._quiet or event.new is None:
            return
        value = self._from_slider(event.new) if self.c.log else float(event.new)
        if self.c.name == "seed":
            value = int(round(value))
        self._quiet = True
        self.text.value = self._text(value)
        self._quiet = False
        self._on_value(self.c.name, value, None)

    def _typed(self, event) -> None:
        if self._quiet:
            return
        try:
            value = st.parse_control(self.c.name, event.new)
        except ValueError as err:
            self._on_value(self.c.name, None, str(err))
            return
        self._quiet = True
        self.slider.value = self._to_slider(value) if self.c.log else value
        self._quiet = False
        self._on_value(self.c.name, value, None)


def ketamine_marks() -> str:
    """Grey marks under the ketamine slider at the human plasma levels (same log scale)."""
    c = st.CONTROLS["ketamine"]
    lo, hi = math.log10(c.low) - _OFF, math.log10(c.high)
    inner = _SLIDER_W - 20  # the slider's track is inset by about 10 px on each side

    def x(value):
        return 10 + (math.log10(value) - lo) / (hi - lo) * inner

    from ..plotting.protocols import PLASMA_LEVELS_UM  # the dose-response figure's levels

    cmax, (low, high) = PLASMA_LEVELS_UM["antidepressant Cmax"], PLASMA_LEVELS_UM["anaesthesia"]
    a, b0, b1 = x(cmax), x(low), x(high)
    return (f'<div style="position:relative;width:{_SLIDER_W}px;height:30px;font-size:10px;'
            f'color:#555"><div style="position:absolute;left:{a:.0f}px;top:0;width:2px;'
            f'height:8px;background:#777"></div><div style="position:absolute;left:{b0:.0f}px;'
            f'top:0;width:{b1 - b0:.0f}px;height:8px;background:#bbb"></div>'
            f'<div style="position:absolute;left:0;top:10px">human plasma: | {cmax:g} uM '
            f'antidepressant, ▮ {low:g}-{high:g} uM anaesthesia</div></div>')
