"""A neuron model assembled from parts: :class:`Cell`.

``Cell()`` is the LHb neuron of ``docs/model.md`` (:data:`habmodel.model.currents.LHB_PARTS`);
``Cell(extra=[my_part])`` is that neuron with one more current. The fast kernel, the
Brian2 runtime engine and the SciPy reference all integrate :meth:`Cell.full_equations`,
and the parameter table, the initial state, the drug targets and the glutamate events
come from the parts as well, so a new part needs no edit anywhere else::

    import habmodel
    from habmodel import Parameter, Part

    A = Part("A", "A-type K+", '''
    I_A = g_A*a**3*b*(v - E_K) : amp/meter**2
    da/dt = (1/(1 + exp(-(v + 60*mV)/(8.5*mV))) - a)/(2*ms) : 1
    db/dt = (1/(1 + exp((v + 78*mV)/(6*mV))) - b)/(20*ms) : 1
    ''', currents=["I_A"], states={"a": 0.1, "b": 0.3},
         parameters=[Parameter("g_A", "mS/cm2", 0.5, 0, 20, "A-type K+ conductance",
                               "[assume]", "A")])
    result = habmodel.simulate("depressed", cell=habmodel.Cell(extra=[A]), seed=1)

:func:`load_parts` reads parts from a Python file (``habmodel simulate --part FILE``).
"""

from __future__ import annotations

import runpy
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from .currents import KETAMINE_TRAPPING, LHB_PARTS, NMDA, NMDA_TRAPPING
from .parts import Part

__all__ = ["Cell", "KETAMINE_MODELS", "load_parts"]

#: How ketamine's NMDA block is modelled: ``"hill"``, an equilibrium pore block
#: through ``pore_load`` (:mod:`habmodel.model.drugs`); ``"trapping"``, a kinetic
#: open-channel block with trapping (:data:`habmodel.model.currents.KETAMINE_TRAPPING`).
KETAMINE_MODELS = ("hill", "trapping")


def _check_variant(ketamine_model: str) -> None:
    if ketamine_model not in KETAMINE_MODELS:
        raise ValueError(f"ketamine_model: expected one of {', '.join(KETAMINE_MODELS)}, got "
                         f"{ketamine_model!r}")


class Cell:
    """A single-compartment neuron made of :class:`~habmodel.model.parts.Part` objects.

    Parameters
    ----------
    parts : sequence of Part, optional
        The parts, in order (default: the LHb neuron, :data:`habmodel.model.currents.LHB_PARTS`).
    extra : sequence of Part, optional
        Parts added after ``parts`` (a user's own currents).
    ketamine_model : {"hill", "trapping"}
        With ``"trapping"``, the NMDA part is replaced by its kinetic-block variant
        and the trapping scheme is added (:mod:`habmodel.trapping`).

    Examples
    --------
    >>> from habmodel import Cell
    >>> cell = Cell()
    >>> cell.states[:3]
    ('v', 'm', 'h')
    >>> "I_T" in cell.currents
    True
    """

    def __init__(self, parts=None, *, extra=(), ketamine_model: str = "hill"):
        _check_variant(ketamine_model)
        parts = list(LHB_PARTS if parts is None else parts)
        extra = list(extra)
        for part in parts + extra:
            if not isinstance(part, Part):
                raise TypeError(f"cell parts must be habmodel.Part objects, got {part!r}")
        if ketamine_model == "trapping":
            if NMDA not in parts:
                raise ValueError("ketamine_model='trapping' needs the built-in NMDA part")
            at = parts.index(NMDA)
            parts[at:at + 1] = [NMDA_TRAPPING, KETAMINE_TRAPPING]
        self.parts = tuple(parts + extra)
        self.extra = tuple(extra)
        self.ketamine_model = ketamine_model
        self._check()

    def _check(self) -> None:
        from .parameters import PARAMETERS

        seen: dict[str, str] = {}
        builtin = {p.name for p in PARAMETERS.values()}
        for part in self.parts:
            names = [("part", part.name), *(("state variable", s) for s in part.states),
                     *(("current", c) for c in part.currents),
                     *(("parameter", p.name) for p in part.parameters),
                     *(("drug target", f"avail_{t}") for t in part.drug_targets)]
            for kind, name in names:
                key = f"{kind}:{name}" if kind == "part" else name
                if key in seen:
                    raise ValueError(f"part {part.name!r}: {kind} {name!r} is already defined "
                                     f"by part {seen[key]!r}")
                seen[key] = part.name
            if part in self.extra:
                clash = sorted({p.name for p in part.parameters} & builtin)
                if clash:
                    raise ValueError(f"part {part.name!r}: parameter {clash[0]!r} is already a "
                                     "habmodel parameter; give it another name")
        if "v" not in self.states:
            raise ValueError("a cell needs a part with the membrane potential 'v'")

    def __getstate__(self) -> dict:  # the cached tables are rebuilt on use
        return {k: self.__dict__[k] for k in ("parts", "extra", "ketamine_model")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self.parts)
        return f"Cell([{names}], ketamine_model={self.ketamine_model!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Cell) and self.full_equations() == other.full_equations() \
            and dict(self.glutamate_event) == dict(other.glutamate_event)

    def __hash__(self) -> int:
        return hash(self.full_equations())

    def variant(self, ketamine_model: str) -> Cell:
        """The same cell with another ketamine model."""
        if ketamine_model == self.ketamine_model:
            return self
        base = [p for p in self.parts if p not in self.extra and p != KETAMINE_TRAPPING]
        base = [NMDA if p == NMDA_TRAPPING else p for p in base]
        return Cell(base, extra=self.extra, ketamine_model=ketamine_model)

    # --- what the parts add up to --------------------------------------------------------

    @cached_property
    def currents(self) -> tuple[str, ...]:
        """The membrane currents, in part order (their sum is ``I_ion``)."""
        return tuple(c for part in self.parts for c in part.currents)

    @cached_property
    def states(self) -> tuple[str, ...]:
        """The state variables, in part order."""
        return tuple(s for part in self.parts for s in part.states)

    def initial_state(self) -> dict[str, float]:
        """The initial value of every state variable (SI units)."""
        return {s: v for part in self.parts for s, v in part.states.items()}

    @cached_property
    def drug_targets(self) -> tuple[str, ...]:
        """The conductances a drug can scale (``avail_<target>`` in the equations)."""
        return tuple(t for part in self.parts for t in part.drug_targets)

    @cached_property
    def glutamate_event(self) -> MappingProxyType:
        """What one glutamate event adds to which state variable."""
        return MappingProxyType({k: v for part in self.parts for k, v in part.events.items()})

    @cached_property
    def equation_parameters(self) -> tuple[str, ...]:
        """The table parameters that the equations declare, in part order."""
        return tuple(p.name for part in self.parts for p in part.parameters)

    @cached_property
    def parameters(self) -> MappingProxyType:
        """The parameter table of this cell: its parts' rows, then the drugs' rows and the
        trapping rows (settable whatever the ketamine model, as in :data:`PARAMETERS`)."""
        from .parameters import PARAMETERS

        rows = {p.name: p for part in self.parts if part != KETAMINE_TRAPPING
                for p in part.parameters}
        rows.update({n: p for n, p in PARAMETERS.items() if p.group in ("drugs", "trapping")})
        return MappingProxyType(rows)

    @cached_property
    def equations(self) -> str:
        """The dynamics as one Brian2 equation string (without the per-cell declarations)."""
        total = " + ".join(self.currents) if self.currents else "0*amp/meter**2"
        blocks = [part.block() for part in self.parts]
        blocks.append("# --- total ionic current (the currents of the parts) "
                      + "-" * 35 + f"\nI_ion = {total} : amp/meter**2\n")
        return "\n" + "\n".join(blocks)

    def full_equations(self) -> str:
        """The complete Brian2 equation string (dynamics plus per-cell constants)."""
        lines = [line for part in self.parts for line in part.declarations()]
        return self.equations + "\n# --- per-cell constants ---\n" + "\n".join(lines)

    def markdown_table(self) -> str:
        """The parts as Markdown: name, currents, state variables, parameters."""
        rows = ["| part | currents | state variables | parameters |", "|---|---|---|---|"]
        for part in self.parts:
            cells = [", ".join(f"`{x}`" for x in xs) for xs in
                     (part.currents, part.states, [p.name for p in part.parameters])]
            rows.append(f"| {part.title} | " + " | ".join(cells) + " |")
        return "\n".join(rows) + "\n"


def load_parts(path) -> list[Part]:
    """The parts a Python file defines: a list ``PARTS``, or one ``PART``.

    The file is run as a script (it may import habmodel and anything else), so only
    load files you trust. Raises ``ValueError`` naming the file if it defines neither.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if path.suffix != ".py":
        raise ValueError(f"{path}: expected a Python file (.py) that defines PARTS")
    try:
        names = runpy.run_path(str(path), run_name="habmodel_parts")
    except Exception as err:  # noqa: BLE001 - a user's file: report any failure in one line
        raise ValueError(f"{path}: {type(err).__name__}: {err}") from err
    parts = names.get("PARTS", [names["PART"]] if "PART" in names else None)
    if parts is None:
        raise ValueError(f"{path}: defines neither PARTS (a list of habmodel.Part) nor PART")
    parts = list(parts)
    for part in parts:
        if not isinstance(part, Part):
            raise ValueError(f"{path}: PARTS must hold habmodel.Part objects, got {part!r}")
    return parts
