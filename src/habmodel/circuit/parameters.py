"""The base of the circuit's parameter dataclasses (:class:`CircuitParameters`,
:class:`RapheParameters`)."""

from __future__ import annotations

from dataclasses import asdict, fields, replace

__all__ = ["ParameterSet"]


class ParameterSet:
    """What every parameter dataclass of the circuit has: a checked copy and a plain dict.
    Subclasses are frozen dataclasses of plain numbers and set :attr:`what` (the word the
    error message uses)."""

    what = "parameters"

    def with_(self, **changes):
        """A copy with ``changes`` (names of the fields); unknown names are refused."""
        known = {f.name for f in fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise ValueError(f"{self.what}: unknown {', '.join(map(repr, bad))} "
                             f"(known: {', '.join(sorted(known))})")
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)
