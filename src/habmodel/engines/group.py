"""The LHb cell as a Brian2 ``NeuronGroup`` for networks of your own: :func:`brian2_group`.

The group is the one the runtime engine of :func:`habmodel.simulate` integrates (the same
equations, per-cell values, initial state and glutamate drive, built by
:func:`habmodel.engines.runtime.lhb_group`), plus a GABA-A synaptic input
(:data:`habmodel.model.currents.GABA_A`), so that ::

    group = habmodel.brian2_group(20, "depressed", seed=1)
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(2*second)

gives the spikes of ``habmodel.simulate("depressed", n_cells=20, seed=1,
duration=2*second, warmup=0*second, engine="runtime")``.
"""

from __future__ import annotations

from ..model.cell import Cell
from ..model.currents import GABA_A
from ..model.equations import cell_for
from ..model.inputs import MAX_CELLS, check_int
from ..model.units import to_display
from ..model.values import population_values
from .runner import DEFAULT_DT_MS, DEFAULT_METHOD
from .runtime import lhb_group

__all__ = ["brian2_group", "group_cell"]


def group_cell(cell: Cell | None = None) -> Cell:
    """The cell of :func:`brian2_group`: ``cell`` (default: the LHb neuron, in its own
    ketamine model) with the GABA-A input part added after its own parts."""
    cell = cell_for("hill" if cell is None else getattr(cell, "ketamine_model", "hill"), cell)
    if GABA_A in cell.parts:
        return cell
    hill = cell.variant("hill")
    base = [p for p in hill.parts if p not in hill.extra]
    return Cell(base, extra=[*hill.extra, GABA_A], ketamine_model=cell.ketamine_model)


def _method(method) -> str:
    from brian2.stateupdaters.base import StateUpdateMethod

    method = DEFAULT_METHOD if method is None else method
    known = sorted(StateUpdateMethod.stateupdaters)
    if not isinstance(method, str) or method not in known:
        raise ValueError(f"method: expected one of Brian2's methods ({', '.join(known)}), "
                         f"got {method!r}")
    return method


def brian2_group(n: int, condition: str = "control", drugs: dict | None = None,
                 overrides: dict | None = None, seed: int = 0, cell: Cell | None = None, *,
                 glutamate: bool = True, dt=None, method: str | None = None,
                 name: str = "lhb", jitter: float = 0.0, codeobj_class=None):
    """A Brian2 ``NeuronGroup`` of ``n`` LHb cells, ready for a network of your own.

    The arguments mean what they mean for :func:`habmodel.simulate`: the same condition,
    drugs, overrides, seed and jitter give the same cells and the same glutamate input,
    so ``Network(group, SpikeMonitor(group)).run(T)`` gives the spikes of
    ``simulate(..., n_cells=n, duration=T, warmup=0*second, engine="runtime")`` (no
    warm-up: the cells start from the model's initial state at t = 0). The group carries
    its namespace: a ``Network`` runs it with no ``namespace`` argument. The GABA-A input
    it adds is silent until a synapse drives it, so it changes no spike.

    Parameters
    ----------
    n : int
        Number of cells.
    condition, drugs, overrides, seed, jitter
        As for :func:`habmodel.simulate`: quantities or strings with units
        (``{"ketamine": "1 uM"}``, ``{"g_T": 2.2*msiemens/cm**2}``, per-cell arrays too).
        ``overrides`` may also set the GABA-A input's ``g_GABA``, ``tau_GABA`` and
        ``E_GABA``.
    cell : Cell, optional
        The neuron model (default: the LHb neuron); its ``ketamine_model`` is kept. The
        GABA-A part is added to it.
    glutamate : bool
        The built-in Poisson glutamate drive (a ``run_regularly`` operation called
        ``<name>_glutamate``). ``False``: no drive; the cells get only what your synapses
        (or ``I_hold``, ``I_step``) give them.
    dt, method
        Time step (default 0.05 ms) and Brian2 integration method (default ``"rk4"``), as
        for :func:`habmodel.simulate`.
    name : str
        Name of the group (unique within a ``Network``).
    codeobj_class : class, optional
        Brian2's code-object class for the group and its drive (default: Brian2's
        preference, ``prefs.codegen.target``).

    Returns
    -------
    brian2.NeuronGroup

    Notes
    -----
    **Synaptic targets** (``Synapses(source, group, "w : 1", on_pre="...")``), all
    dimensionless, added to the cell's state at the synapse's time step:

    * ``x_post += w``: the NMDA receptors' rise variable. One built-in glutamate event
      adds ``w_glu`` (0.01); the open fraction ``s`` then rises at ``alpha_NMDA*x*(1 - s)``
      and opens ``g_NMDA`` (2.2 mS/cm2), with the Mg2+ block and the drugs' NMDA block.
    * ``s_AMPA_post += w``: the AMPA open fraction (one built-in event adds 1), conductance
      ``g_AMPA``, which is 0 (off) unless ``overrides`` set it; decays with ``tau_AMPA``.
    * ``s_GABA_post += w``: the GABA-A open fraction (inhibitory); ``w = 1`` opens
      ``g_GABA`` (0.1 mS/cm2, 2.5 nS on the cell's 2500 um2), reversing at ``E_GABA``
      (-80 mV) and decaying with ``tau_GABA`` (10 ms).

    Spikes are upward crossings of -20 mV (``v > -20*mV``, refractory while above). The
    group has a clock of its own (``group.clock``, ``dt``); give your synapses and input
    groups the same one (``clock=group.clock``), or Brian2 warns that their ``dt`` differ.

    Examples
    --------
    >>> import habmodel
    >>> from brian2 import Network, SpikeMonitor, second
    >>> group = habmodel.brian2_group(2, "depressed", seed=1)
    >>> spikes = SpikeMonitor(group)
    >>> Network(group, spikes).run(0.5*second)
    >>> result = habmodel.simulate("depressed", n_cells=2, seed=1, duration="0.5 s",
    ...                            warmup="0 s", engine="runtime")
    >>> int(spikes.num_spikes), sum(len(s) for s in result.spikes_s)
    (9, 9)
    >>> all((spikes.spike_trains()[i] / second == result.spikes_s[i]).all() for i in range(2))
    True
    """
    import brian2 as b2

    n = check_int("n", n, 1, MAX_CELLS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    if not isinstance(glutamate, bool):
        raise ValueError(f"glutamate: expected True or False, got {glutamate!r}")
    dt_ms = to_display(f"{DEFAULT_DT_MS!r} ms" if dt is None else dt, "ms", "dt")
    if not 0 < dt_ms <= 1:
        raise ValueError(f"dt: expected a time step in (0, 1] ms, got {dt_ms:g} ms")
    method = _method(method)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name: expected a Brian2 name (letters, digits, _), got {name!r}")
    if cell is not None and not isinstance(cell, Cell):
        raise ValueError(f"cell: expected a habmodel.Cell, got {cell!r}")
    full = group_cell(cell)
    values, _, avail = population_values(condition, overrides, drugs, n, seed, jitter, full)
    return lhb_group(values, avail, n, seed, dt_ms * b2.ms, method, 0 * b2.second, cell=full,
                     glutamate=glutamate, name=name, codeobj_class=codeobj_class)
