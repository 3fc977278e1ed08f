"""The engine side of the voltage clamp (:func:`habmodel.experiments.vclamp`): a population
whose membrane potential moves only when the clamp sets it, driven segment by segment, with
every state variable recorded.

**How v is clamped.** Each cell runs the cell's own equations on the usual engines (the
compiled kernel of :func:`habmodel.simulate`, the packaged WebAssembly kernel, or Brian2's
runtime), with one value changed: the membrane capacitance ``C_m`` is set to
:data:`CLAMP_C_M` (1e30 F/m2 instead of 0.01). A membrane current then moves ``v`` by
``I dt / C_m`` < 1e-26 V per step, far below the rounding of ``v`` itself (1e-17 V), so ``v``
stays bit for bit where the clamp put it while every other state (gates, Ca2+ pool, NMDA and
AMPA synaptic states, the ketamine trapping states, the states of extra parts) is integrated
as usual. Between kernel calls the clamp sets ``v`` of each cell to its command potential (a
step is an instantaneous jump: an ideal clamp), adds the events of a glutamate puff, and
reads the states. No new kernel is compiled: the clamp runs the same kernel as
:func:`habmodel.simulate`.

Engines: ``"fast"`` (:class:`habmodel.engines.runner.FastPopulation`; without a C compiler
it falls back to the packaged WebAssembly kernel for the built-in cell, as simulate does),
``"wasm"``, and ``"runtime"`` (Brian2's runtime code generation, the fallback for a cell with
its own parts on a machine without a C compiler: much slower).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..engines.runner import EngineFallbackWarning, FastPopulation, SimulationError
from ..model.cell import Cell

__all__ = ["CLAMP_C_M", "Schedule", "run_schedule"]

#: The membrane capacitance of a clamped cell (uF/cm2; 1e30 F/m2): no membrane current can
#: move v within the precision of a double.
CLAMP_C_M = 1e32


@dataclass
class Schedule:
    """What the clamp does, in integration steps from the start of the recording.

    ``start``: the initial states (per cell, SI; ``v`` the holding potential), set before
    ``settle`` unrecorded steps. ``commands``: ``(step, v)`` pairs, ``v`` one command
    potential per cell (V), sorted by step. ``puffs``: ``(step, increments)`` with
    ``increments`` a dict ``state -> per-cell increment`` (SI). ``samples``: the steps at
    which every state is read (sorted, unique, < ``total``).
    """

    start: dict
    commands: list
    puffs: list
    samples: np.ndarray
    total: int
    settle: int

    def events(self) -> dict:
        """``step -> [(kind, what)]``: the command potentials first, then the puffs."""
        out = {}
        for step, v in self.commands:
            out.setdefault(int(step), []).append(("v", v))
        for step, increments in self.puffs:
            out.setdefault(int(step), []).append(("puff", increments))
        return out


class _Fast:
    """The compiled kernel (or the packaged WebAssembly one), driven call by call."""

    def __init__(self, values, avail, n_cells, seed, dt_ms, method, cell, engine, threads,
                 announce):
        self.pop = FastPopulation(values, avail, n_cells, seed, dt_ms, method,
                                  ketamine_model=cell.ketamine_model, threads=threads,
                                  announce=announce, cell=cell, engine=engine)
        self.engine = self.pop.engine
        self.states = tuple(self.pop.kernel.states)

    def get(self, name):
        return self.pop.get(name)

    def set(self, name, values):
        self.pop.set(name, values)

    def record(self, schedule: Schedule, on_sample):
        """Advance through the schedule; ``on_sample(k, states x cells)`` at each sample."""
        events = schedule.events()
        stops = np.union1d(schedule.samples, np.fromiter(events, int, len(events)))
        stops = np.append(stops[stops < schedule.total], schedule.total)
        sample_index = {int(s): k for k, s in enumerate(schedule.samples)}
        _start(self, schedule)
        self.pop.advance(schedule.settle)
        now = 0
        for stop in stops:
            if stop > now:
                self.pop.advance(int(stop - now))
                now = int(stop)
            if now == schedule.total:
                break
            for kind, what in events.get(now, ()):
                _apply(self, kind, what)
            if now in sample_index:
                on_sample(sample_index[now], self.pop.state[:, :self.pop.n_cells])


class _Runtime:
    """Brian2's runtime engine: one Network, run from event to event, with a StateMonitor
    of every state on the recording grid."""

    def __init__(self, values, avail, n_cells, seed, dt_ms, method, cell, record_every):
        import brian2 as b2

        from ..engines.runtime import build_network

        self.b2, self.dt_ms, self.method = b2, dt_ms, method
        self.net, self.group, _, _ = build_network(
            values, avail, n_cells, seed, dt_ms * b2.ms, method, [], dt_ms * b2.ms,
            0 * b2.second, ketamine_model=cell.ketamine_model, cell=cell)
        self.states = tuple(cell.states)
        self.every = record_every
        self.monitor = b2.StateMonitor(self.group, list(self.states), record=True,
                                       dt=record_every * dt_ms * b2.ms, when="start", order=-1,
                                       name="vclamp_states")
        self.monitor.active = False
        self.net.add(self.monitor)
        self.engine = "runtime"
        self.step = 0

    def get(self, name):
        return np.array(getattr(self.group, f"{name}_"), float)

    def set(self, name, values):
        setattr(self.group, f"{name}_", np.broadcast_to(np.asarray(values, float),
                                                        (len(self.group),)))

    def _run(self, n_steps: int):
        if n_steps <= 0:
            return
        b2 = self.b2
        try:
            self.net.run(n_steps * self.dt_ms * b2.ms, namespace={})
        except b2.BrianObjectException as err:
            if isinstance(err.__cause__, (ZeroDivisionError, FloatingPointError)):
                raise SimulationError("numerical blow-up in the clamp with method "
                                      f"{self.method!r} at dt = {self.dt_ms:g} ms; use a "
                                      "smaller dt or check the parameters") from err
            raise
        self.step += n_steps
        done = int(round(float(self.net.t / (self.dt_ms * b2.ms))))
        if done != self.step:  # pragma: no cover - Brian2 rounds durations to whole steps
            raise RuntimeError(f"the runtime engine ran {done} steps instead of {self.step}")

    def record(self, schedule: Schedule, on_sample):
        _start(self, schedule)
        settle = -(-schedule.settle // self.every) * self.every  # the grid starts at 0
        self._run(settle)
        start = self.step
        self.monitor.active = True
        by_step = schedule.events()
        on_grid = {int(s) for s in schedule.samples if s % self.every == 0}
        sample_index = {int(s): k for k, s in enumerate(schedule.samples)}
        now = 0
        for stop in [*sorted(by_step), schedule.total]:
            self._run(stop - now)
            now = stop
            if now == schedule.total:
                break
            for kind, what in by_step.get(now, ()):
                _apply(self, kind, what)
            if now in sample_index and now not in on_grid:  # off the monitor's grid
                on_sample(sample_index[now], np.array([self.get(s) for s in self.states]))
        b2 = self.b2
        steps = np.rint(np.asarray(self.monitor.t / (self.dt_ms * b2.ms)) - start).astype(int)
        stack = np.array([np.asarray(getattr(self.monitor, f"{s}_")) for s in self.states])
        for j, step in enumerate(steps):
            if int(step) in on_grid:
                on_sample(sample_index[int(step)], stack[:, :, j])


def _start(driver, schedule: Schedule) -> None:
    for name, values in schedule.start.items():
        if name in driver.states:
            driver.set(name, values)


def _apply(driver, kind: str, what) -> None:
    if kind == "v":
        driver.set("v", what)
    else:
        for name, increment in what.items():
            driver.set(name, driver.get(name) + increment)


def run_schedule(schedule: Schedule, values: dict, avail: dict, n_cells: int, *, cell: Cell,
                 seed: int, dt_ms: float, method: str, engine: str, record_every: int,
                 threads=None, announce: bool = True):
    """Run the clamp; return ``(states, engine)``: ``states`` maps each state variable to
    an array (samples x cells, SI units) and ``engine`` says which engine ran.

    ``values`` are per-cell parameters in display units (``C_m`` is replaced by
    :data:`CLAMP_C_M`), ``avail`` the drug factors (:func:`habmodel.model.drugs.availability`).
    """
    values = {**values, "C_m": np.full(n_cells, CLAMP_C_M)}
    if engine in ("fast", "wasm"):
        from ..engines.fast import EngineUnavailableError

        try:
            driver = _Fast(values, avail, n_cells, seed, dt_ms, method, cell, engine, threads,
                           announce)
        except EngineUnavailableError as err:
            if engine == "wasm":
                raise
            warnings.warn(f"habmodel: the fast engine is unavailable ({err}); the clamp uses "
                          "Brian2's runtime engine instead (much slower)",
                          EngineFallbackWarning, stacklevel=3)
            engine = "runtime"
    if engine == "runtime":
        driver = _Runtime(values, avail, n_cells, seed, dt_ms, method, cell, record_every)
    out = np.full((len(schedule.samples), len(driver.states), n_cells), np.nan)

    def keep(k, states):
        out[k] = states

    driver.record(schedule, keep)
    if not np.all(np.isfinite(out)):
        raise SimulationError(f"numerical blow-up in the clamp with method {method!r} at dt = "
                              f"{dt_ms:g} ms; use a smaller dt or check the parameters")
    return {name: out[:, j, :] for j, name in enumerate(driver.states)}, driver.engine
