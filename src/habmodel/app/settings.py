"""What the browser lab simulates: its settings, checked, and one run of them.

Nothing here imports Panel or Bokeh: the settings, their checks, the simulation and the
downloads (trace CSV, figure, ``params.toml``) are plain Python, tested without a browser.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..model.parameters import CONDITIONS, PARAMETERS
from ..model.units import parse_quantity, to_display

__all__ = ["Control", "CONTROLS", "DRUG_CONTROLS", "Settings", "Run", "parse_control",
           "preset", "simulate_settings", "trace_csv", "settings_toml", "trace_figure",
           "mode_map_of", "iv_of"]


@dataclass(frozen=True)
class Control:
    """One setting of the lab: its label, unit and range (the slider's; a log slider for
    drugs, whose leftmost position is 0)."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    log: bool = False


#: The settings with a slider, in the order of the page.
CONTROLS = {c.name: c for c in (
    Control("K_o", "perisomatic [K+]o", "mM", 1.5, 6.0, 0.05),
    Control("g_NMDA", "NMDA conductance g_NMDA", "mS/cm2", 0.0, 5.0, 0.05),
    Control("nu_glu", "glutamate input rate", "Hz", 0.0, 400.0, 5.0),
    Control("ketamine", "ketamine", "uM", 0.01, 100.0, 0.05, log=True),
    Control("ap5", "AP5", "uM", 0.1, 1000.0, 0.05, log=True),
    Control("mibefradil", "mibefradil", "uM", 0.01, 100.0, 0.05, log=True),
    Control("I_hold", "holding current", "pA", -60.0, 60.0, 1.0),
    Control("I_step", "current step", "pA", -60.0, 60.0, 1.0),
    Control("step_start", "step onset", "s", 0.0, 10.0, 0.05),
    Control("step_ms", "step length", "ms", 0.0, 2000.0, 10.0),
    Control("duration", "duration", "s", 0.5, 10.0, 0.5),
    Control("seed", "seed", "1", 0, 2**31 - 1, 1),
)}
DRUG_CONTROLS = ("ketamine", "ap5", "mibefradil")


@dataclass(frozen=True)
class Settings:
    """Everything one trace depends on, in the units of :data:`CONTROLS`."""

    condition: str = "control"
    K_o: float = PARAMETERS["K_o"].default
    g_NMDA: float = PARAMETERS["g_NMDA"].default
    nu_glu: float = PARAMETERS["nu_glu"].default
    ketamine: float = 0.0
    ap5: float = 0.0
    mibefradil: float = 0.0
    I_hold: float = 0.0
    I_step: float = 0.0
    step_start: float = 1.0
    step_ms: float = 0.0
    duration: float = 3.0
    seed: int = 1

    def with_(self, **changes) -> Settings:
        known = {f.name for f in fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise ValueError(f"unknown setting(s) {', '.join(bad)}")
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


def preset(condition: str) -> Settings:
    """The default settings of a named condition (``control`` or ``depressed``)."""
    if condition not in CONDITIONS:
        raise ValueError(f"condition: expected one of {', '.join(CONDITIONS)}, got {condition!r}")
    values = {"K_o": PARAMETERS["K_o"].default, **CONDITIONS[condition]}
    return Settings(condition=condition, K_o=float(values["K_o"]))


def parse_control(name: str, text) -> float:
    """A value typed into a field: a number in the control's unit (``"2.6"``) or with a
    unit (``"2600 uM"``). Raises ``ValueError`` naming the setting, its unit and range."""
    c = CONTROLS[name]
    where = f"{c.label} ({c.unit})" if c.unit != "1" else c.label
    text = str(text).strip().replace("µ", "u")
    if name == "seed":
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{where}: expected a whole number, got '{text}'") from None
    else:
        try:
            value = to_display(parse_quantity(text, c.name, c.unit), c.unit, c.name)
        except ValueError as err:
            raise ValueError(f"{where}: {str(err).split(': ', 1)[-1]}") from None
    low = 0.0 if c.log else c.low
    if not (math.isfinite(value) and low <= value <= c.high):
        raise ValueError(f"{where}: expected {_fmt(low)} to {_fmt(c.high)} {c.unit}, "
                         f"got '{text}'".replace(" 1,", ","))
    return value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass
class Run:
    """One simulated trace and what the page shows of it."""

    settings: Settings
    result: object  # habmodel.SimulationResult
    t_s: np.ndarray
    v_mV: np.ndarray
    spikes_s: np.ndarray
    bursts: list  # (start, stop) spike indices
    metrics: dict
    elapsed_s: float


def _simulate_arguments(s: Settings) -> dict:
    step_stop = s.step_start + s.step_ms / 1e3
    overrides = {"K_o": f"{s.K_o!r} mM", "g_NMDA": f"{s.g_NMDA!r} mS/cm2",
                 "nu_glu": f"{s.nu_glu!r} Hz", "I_hold": f"{s.I_hold!r} pA"}
    if s.I_step != 0 and s.step_ms > 0:
        overrides.update({"I_step": f"{s.I_step!r} pA", "step_start": f"{s.step_start * 1e3!r} ms",
                          "step_stop": f"{step_stop * 1e3!r} ms"})
    drugs = {d: f"{getattr(s, d)!r} uM" for d in DRUG_CONTROLS if getattr(s, d) > 0}
    return {"condition": s.condition, "drugs": drugs or None, "overrides": overrides,
            "duration": f"{s.duration!r} s", "seed": int(s.seed)}


def simulate_settings(s: Settings) -> Run:
    """Simulate one cell with ``s`` on the fast engine, voltage recorded every 0.1 ms."""
    from .. import analysis
    from ..simulation import simulate

    start = time.perf_counter()
    result = simulate(n_cells=1, record_v=True, record_dt="0.1 ms", progress=False,
                      **_simulate_arguments(s))
    elapsed = time.perf_counter() - start
    v = np.asarray(result.v_mV[0], float)
    if not np.all(np.isfinite(v)):
        raise FloatingPointError("the simulation blew up (non-finite voltage); "
                                 "try less extreme settings")
    spikes = np.asarray(result.spikes_s[0], float)
    metrics = {k: (result.metrics[k][0] if k == "mode" else float(result.metrics[k][0]))
               for k in ("mode", "rate_hz", "bursts_per_s", "spikes_per_burst",
                         "burst_fraction")}
    return Run(s, result, np.asarray(result.t_s, float), v, spikes,
               analysis.detect_bursts(spikes, result.criteria), metrics, elapsed)


def trace_csv(run: Run) -> str:
    """The shown trace as CSV text: ``t_s, v_mV`` (0.1 ms steps)."""
    buf = io.StringIO()
    buf.write("t_s,v_mV\n")
    np.savetxt(buf, np.column_stack([run.t_s, run.v_mV]), fmt=("%.4f", "%.4f"), delimiter=",")
    return buf.getvalue()


def settings_toml(run: Run) -> str:
    """``params.toml`` of the shown trace: ``habmodel simulate --params FILE`` repeats it
    exactly (same spikes)."""
    from ..io import params_toml

    return params_toml(run.result, ["simulate", "--params", "params.toml"])


def trace_figure(run: Run):
    """A matplotlib Figure of the trace (bursts marked), for the PNG and SVG downloads."""
    from ..plotting.traces import plot_trace

    return plot_trace(run.result, cell=0)


def iv_of(s: Settings):
    """Steady-state I-V (pA against mV) at the settings' [K+]o and g_NMDA, NMDA open
    fractions 0, 0.05, 0.1 and 0.15 (no drugs: the equations' own curves)."""
    from ..analysis.curves import steady_state_iv
    from ..model.units import unit_of

    v = np.arange(-110.0, -44.5, 0.5) * unit_of("mV")  # below spike threshold
    return steady_state_iv(s.condition, (0.0, 0.05, 0.1, 0.15), v=v,
                           overrides={"K_o": f"{s.K_o!r} mM", "g_NMDA": f"{s.g_NMDA!r} mS/cm2"})


#: The grid of the firing-mode map (mM, mS/cm2).
MAP_K_O = tuple(np.round(np.arange(1.5, 6.01, 0.5), 3))
MAP_G = tuple(np.round(np.arange(0.0, 5.01, 0.5), 3))


def mode_map_of(s: Settings):
    """The firing mode over [K+]o x g_NMDA with every other setting as in ``s`` (its drugs,
    input, holding current and seed; no current step), one cell per point, 1.5 s, in one
    simulation. Returns a DataFrame ``K_o_mM, g_NMDA_mS_cm2, mode``."""
    import pandas as pd

    from ..model.units import unit_of
    from ..simulation import simulate

    k, g = (a.ravel() for a in np.meshgrid(MAP_K_O, MAP_G, indexing="ij"))
    args = _simulate_arguments(s.with_(I_step=0.0, duration=1.5))
    overrides = {**args["overrides"], "K_o": k * unit_of("mM"), "g_NMDA": g * unit_of("mS/cm2")}
    result = simulate(args["condition"], drugs=args["drugs"], n_cells=k.size,
                      duration=args["duration"], seed=args["seed"], overrides=overrides,
                      progress=False, threads=1)  # the other core stays free for traces
    return pd.DataFrame({"K_o_mM": k, "g_NMDA_mS_cm2": g,
                         "mode": np.asarray(result.metrics["mode"])})
