"""The page of the browser lab (Panel widgets, Bokeh plots): one :class:`Lab` per browser tab.

Every change of a control re-simulates in a worker thread. The newest change wins: a run
that a later change has overtaken is not shown. The page is updated on the server's
event loop (``Document.add_next_tick_callback``). The trace and the numbers come first;
the I-V curve and the firing-mode map follow.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from ..plotting import style
from . import settings as st
from .controls import Field, decimate, ketamine_marks
from .tour import TOUR

__all__ = ["Lab", "create_page"]

_MODE_COLOR = {m: style.PALETTE.get(m, style.GREY) for m in ("silent", "tonic", "burst")}


class Lab:
    """The state and the widgets of one page."""

    def __init__(self, pn, doc=None):
        import brian2  # noqa: F401  (imported here once, never first inside a worker thread)

        self.pn, self.doc = pn, doc
        self.settings = st.Settings()
        self.run: st.Run | None = None
        # traces in one worker; the slower I-V curve and map in another, so that they
        # never hold up the next trace
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="habmodel-lab")
        self._extras = ThreadPoolExecutor(max_workers=1, thread_name_prefix="habmodel-lab-map")
        self._seq, self._runs, self._ivs, self._maps, self._lock = 0, 0, 0, 0, threading.Lock()
        self._map_key = self._iv_key = None
        self._errors: dict[str, str] = {}
        self._build()

    # --- widgets -------------------------------------------------------------------------
    def _build(self) -> None:
        pn = self.pn
        self.condition = pn.widgets.RadioButtonGroup(options=["control", "depressed"],
                                                     value="control", css_classes=["condition"])
        self.condition.param.watch(self._preset, "value")
        self.fields = {name: Field(pn, c, getattr(self.settings, name), self._changed)
                       for name, c in st.CONTROLS.items()}
        self.reset = pn.widgets.Button(label="reset", css_classes=["reset"])
        self.reset.on_click(lambda _: self.apply(st.Settings().as_dict()))
        self.status = pn.pane.HTML(self._status_html(), sizing_mode="stretch_width")
        self.message = pn.pane.HTML('<div id="message"></div>', sizing_mode="stretch_width")
        self._plots()
        self._tour_step = 0
        self.tour_text = pn.pane.Markdown(self._tour_md(), width=320)
        back = pn.widgets.Button(label="back", width=70)
        nxt = pn.widgets.Button(label="next", width=70, color="primary")
        show = pn.widgets.Button(label="show me", width=90)
        back.on_click(lambda _: self._tour(-1))
        nxt.on_click(lambda _: self._tour(+1))
        show.on_click(lambda _: self.apply(TOUR[self._tour_step].changes))
        downloads = [pn.widgets.FileDownload(callback=cb, filename=name, label=label,
                                             width=150)
                     for cb, name, label in ((self._csv, "habmodel_trace.csv", "trace (CSV)"),
                                             (partial(self._figure, "png"), "habmodel_trace.png",
                                              "figure (PNG)"),
                                             (partial(self._figure, "svg"), "habmodel_trace.svg",
                                              "figure (SVG)"),
                                             (self._toml, "params.toml", "settings (params.toml)"))]
        f = self.fields
        controls = [pn.pane.Markdown("**condition preset**", margin=(0, 5)), self.condition,
                    *(f[n].view for n in ("K_o", "g_NMDA", "nu_glu", "ketamine")),
                    pn.pane.HTML(ketamine_marks(), margin=(0, 10)),
                    *(f[n].view for n in ("ap5", "mibefradil", "I_hold")),
                    pn.pane.Markdown("**current step** (for a rebound burst)", margin=(0, 5)),
                    *(f[n].view for n in ("I_step", "step_start", "step_ms", "duration", "seed")),
                    self.reset]
        self.view = pn.Row(
            pn.Column(pn.pane.Markdown("## habmodel lab\nAn LHb neuron: move a slider or type "
                                       "a value (Enter)."), *controls, width=350),
            pn.Column(self.status, self.message, self.trace_pane,
                      pn.Row(self.zoom_pane, self.iv_pane, self.map_pane), pn.Row(*downloads),
                      sizing_mode="stretch_width"),
            pn.Column(pn.pane.Markdown("### Guided tour"), self.tour_text,
                      pn.Row(back, show, nxt), width=340))

    def _plots(self) -> None:
        from bokeh.models import ColumnDataSource, Span
        from bokeh.plotting import figure

        pn = self.pn
        self.src = {k: ColumnDataSource(dict(x=[], y=[])) for k in ("trace", "bursts", "zoom",
                                                                     "zoom_bursts", "here")}
        self.src["iv"] = ColumnDataSource(dict(xs=[], ys=[], color=[], label=[]))
        self.src["map"] = ColumnDataSource(dict(x=[], y=[], color=[], mode=[]))
        t = figure(height=260, sizing_mode="stretch_width", x_axis_label="time (s)",
                   y_axis_label="membrane potential (mV)", tools="xpan,xwheel_zoom,reset")
        t.line("x", "y", source=self.src["trace"], color=style.PALETTE["depressed"], width=1)
        t.scatter("x", "y", source=self.src["bursts"], marker="inverted_triangle", size=7,
                  color=style.PALETTE["burst"], legend_label="spike in a burst")
        t.legend.location = "bottom_right"
        self.trace_fig = t
        z = figure(height=250, width=300, x_axis_label="time (ms, from the burst)",
                   y_axis_label="mV", title="first burst", tools="", toolbar_location=None)
        z.line("x", "y", source=self.src["zoom"], color=style.PALETTE["depressed"])
        z.scatter("x", "y", source=self.src["zoom_bursts"], marker="inverted_triangle", size=7,
                  color=style.PALETTE["burst"])
        iv = figure(height=250, width=320, x_axis_label="membrane potential (mV)",
                    y_axis_label="steady-state current (pA)", title="I-V (NMDA open fraction s)",
                    tools="", toolbar_location=None)
        iv.multi_line("xs", "ys", source=self.src["iv"], color="color", legend_field="label")
        iv.legend.location = "top_left"
        iv.legend.label_text_font_size = "8pt"
        self.hold_line = Span(location=0, dimension="width", line_dash="dashed", line_color="#555")
        iv.add_layout(self.hold_line)
        m = figure(height=250, width=320, x_axis_label="[K+]o (mM)",
                   y_axis_label="g_NMDA (mS/cm2)", title="firing-mode map (computing...)",
                   tools="", toolbar_location=None)
        m.rect("x", "y", width=st.MAP_K_O[1] - st.MAP_K_O[0], height=st.MAP_G[1] - st.MAP_G[0],
               source=self.src["map"], color="color", legend_field="mode", line_color=None)
        m.scatter("x", "y", source=self.src["here"], size=14, marker="circle", fill_color="white",
                  line_color="black", line_width=2)
        m.legend.label_text_font_size = "8pt"
        self.map_fig = m
        self.trace_pane = pn.pane.Bokeh(t, sizing_mode="stretch_width")
        self.zoom_pane = pn.pane.Bokeh(z)
        self.iv_pane, self.map_pane = pn.pane.Bokeh(iv), pn.pane.Bokeh(m)

    def close(self) -> None:
        """Stop the workers (pending runs are dropped)."""
        for pool in (self._pool, self._extras):
            pool.shutdown(wait=False, cancel_futures=True)

    # --- changes -------------------------------------------------------------------------
    def _preset(self, event) -> None:
        self.apply({"condition": event.new, "K_o": st.preset(event.new).K_o})

    def apply(self, changes: dict) -> None:
        """Set several settings at once (the tour, reset, a preset) and simulate once."""
        self.settings = self.settings.with_(**changes)
        self._errors.clear()
        for name, field in self.fields.items():
            field.set(getattr(self.settings, name))
        if self.condition.value != self.settings.condition:
            self.condition.value = self.settings.condition  # calls _preset only if changed
            return
        self.refresh()

    def _changed(self, name: str, value, error) -> None:
        if error is not None:
            self._errors[name] = error
            self._show_message()
            return
        self._errors.pop(name, None)
        self.settings = self.settings.with_(**{name: value})
        self.refresh()

    def refresh(self) -> None:
        """Simulate the current settings in the worker thread."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        self._show_message()
        self._pool.submit(self._work, seq, self.settings)

    def _later(self, fn, *args) -> None:
        if self.doc is None:
            fn(*args)
        else:
            self.doc.add_next_tick_callback(partial(fn, *args))

    def _work(self, seq: int, s: st.Settings) -> None:
        if seq != self._seq:
            return  # overtaken by a newer change
        try:
            run = st.simulate_settings(s)
        except (ValueError, FloatingPointError) as err:
            self._later(self._failed, seq, str(err))
            return
        except Exception as err:  # shown on the page, never a traceback in the console
            self._later(self._failed, seq, f"the simulation failed: {type(err).__name__}: {err}")
            return
        self._later(self._show_run, seq, run)
        self._extras.submit(self._work_extras, seq, s)

    def _work_extras(self, seq: int, s: st.Settings) -> None:
        if seq != self._seq:
            return
        try:
            iv_key = (s.condition, s.K_o, s.g_NMDA)
            if iv_key != self._iv_key:
                self._iv_key = iv_key
                self._later(self._show_iv, st.iv_of(s))
            map_key = (s.condition, s.nu_glu, s.ketamine, s.ap5, s.mibefradil, s.I_hold, s.seed)
            if map_key != self._map_key and seq == self._seq:
                self._map_key = map_key
                self._later(self._show_map, st.mode_map_of(s))
        except Exception as err:  # the trace is shown; say why the curve or the map is not
            self._iv_key = self._map_key = None
            self._later(self._failed, seq, f"the I-V curve or the map failed: {err}")

    # --- showing -------------------------------------------------------------------------
    def _status_html(self) -> str:
        if self.run is None:
            return ('<div id="status" data-mode="" data-run="0" data-iv="0" data-map="0">'
                    'Preparing the simulator... '
                    "(the first run on a new machine builds the compiled kernel once; this "
                    "can take a minute)</div>")
        m = self.run.metrics
        spb = "-" if not np.isfinite(m["spikes_per_burst"]) else f"{m['spikes_per_burst']:.1f}"
        color = _MODE_COLOR.get(str(m["mode"]), "#000")
        return (f'<div id="status" data-mode="{m["mode"]}" data-run="{self._runs}" '
                f'data-iv="{self._ivs}" data-map="{self._maps}" '
                f'style="font-size:15px">firing mode: <b style="color:{color}">{m["mode"]}</b>'
                f' &nbsp;·&nbsp; {m["rate_hz"]:.1f} spikes/s &nbsp;·&nbsp; '
                f'{m["bursts_per_s"]:.2f} bursts/s &nbsp;·&nbsp; {spb} spikes/burst'
                f'<br><span style="font-size:11px;color:#666">run {self._runs}: '
                f'{self.run.settings.duration:g} s simulated in '
                f'{self.run.elapsed_s * 1e3:.0f} ms</span></div>')

    def _show_message(self, extra: str | None = None) -> None:
        texts = list(self._errors.values()) + ([extra] if extra else [])
        body = "<br>".join(f"⚠ {t}" for t in texts)
        self.message.object = (f'<div id="message" data-errors="{len(texts)}" style="color:'
                               f'#b00020;font-weight:bold">{body}</div>')

    def _failed(self, seq: int, text: str) -> None:
        if seq == self._seq:
            self._show_message(text)

    def _show_run(self, seq: int, run: st.Run) -> None:
        if seq != self._seq:
            return
        self.run = run
        self._runs += 1
        t, v = decimate(run.t_s, run.v_mV)
        inside = np.zeros(run.spikes_s.size, bool)
        for a, b in run.bursts:
            inside[a:b] = True
        peak = float(np.max(run.v_mV)) + 5 if run.v_mV.size else 40.0
        bt = run.spikes_s[inside]
        self.src["trace"].data = dict(x=t, y=v)
        self.src["bursts"].data = dict(x=bt, y=np.full(bt.size, peak))
        if run.bursts:
            a, b = run.bursts[0]
            t0 = run.spikes_s[a] - 0.03
            keep = (run.t_s >= t0) & (run.t_s <= run.spikes_s[b - 1] + 0.08)
            self.src["zoom"].data = dict(x=(run.t_s[keep] - t0) * 1e3, y=run.v_mV[keep])
            self.src["zoom_bursts"].data = dict(x=(run.spikes_s[a:b] - t0) * 1e3,
                                                y=np.full(b - a, peak))
        else:
            self.src["zoom"].data = dict(x=[], y=[])
            self.src["zoom_bursts"].data = dict(x=[], y=[])
        self.src["here"].data = dict(x=[run.settings.K_o], y=[run.settings.g_NMDA])
        self.hold_line.location = run.settings.I_hold
        self.status.object = self._status_html()
        self._show_message()

    def _show_iv(self, iv) -> None:
        groups = list(iv.groupby("s"))
        colors = [style.GREY, *style.TOL_BRIGHT[:len(groups) - 1]]
        self.src["iv"].data = dict(xs=[g["v_mV"].to_numpy() for _, g in groups],
                                   ys=[g["I_pA"].to_numpy() for _, g in groups],
                                   color=list(colors), label=[f"s = {s:g}" for s, _ in groups])
        self._ivs += 1
        self.status.object = self._status_html()

    def _show_map(self, table) -> None:
        self.src["map"].data = dict(x=table["K_o_mM"].to_numpy(),
                                    y=table["g_NMDA_mS_cm2"].to_numpy(),
                                    color=[_MODE_COLOR[m] for m in table["mode"]],
                                    mode=list(table["mode"]))
        s = self.settings
        drugs = ", ".join(f"{d} {getattr(s, d):g} uM" for d in st.DRUG_CONTROLS if getattr(s, d))
        self.map_fig.title.text = f"firing-mode map ({drugs or 'no drugs'}); ring: this cell"
        self._maps += 1
        self.status.object = self._status_html()

    # --- tour and downloads --------------------------------------------------------------
    def _tour_md(self) -> str:
        step = TOUR[self._tour_step]
        return f"**{step.title}** ({self._tour_step + 1}/{len(TOUR)})\n\n{step.text}"

    def _tour(self, delta: int) -> None:
        self._tour_step = min(max(self._tour_step + delta, 0), len(TOUR) - 1)
        self.tour_text.object = self._tour_md()

    def _csv(self):
        return io.StringIO(st.trace_csv(self.run) if self.run else "")

    def _toml(self):
        return io.StringIO(st.settings_toml(self.run) if self.run else "")

    def _figure(self, fmt: str):
        buf = io.BytesIO()
        if self.run is not None:
            st.trace_figure(self.run).savefig(buf, format=fmt, dpi=150)
        buf.seek(0)
        return buf


def create_page():
    """A new page (one per browser tab), for ``panel.serve``."""
    import panel as pn

    lab = Lab(pn, pn.state.curdoc)
    pn.state.on_session_destroyed(lambda _context: lab.close())  # the tab was closed
    lab.refresh()
    return lab.view
