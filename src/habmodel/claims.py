"""The nine claims the model is tested against: their numbers and titles.

The claims are defined in ``docs/science.md`` (section 4, one anchor
``#claim-N`` each); this table carries their titles word for word, so that
``habmodel validate``, the figure reports and the README name them the same
way (``tests/test_self_contained.py`` checks that the two agree).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = ["Claim", "CLAIMS", "SCIENCE_DOC", "claim_label", "science_link"]

#: Where the claims are defined, relative to the repository root.
SCIENCE_DOC = "docs/science.md"


@dataclass(frozen=True)
class Claim:
    number: int
    title: str

    @property
    def anchor(self) -> str:
        """The claim's anchor in :data:`SCIENCE_DOC`."""
        return f"claim-{self.number}"


CLAIMS = MappingProxyType({c.number: c for c in (
    Claim(1, "Control: tonic firing or silent"),
    Claim(2, "Depressed: rhythmic bursting"),
    Claim(3, "NMDA block suppresses bursting"),
    Claim(4, "T-channel block abolishes bursting"),
    Claim(5, "Rebound burst"),
    Claim(6, "Firing-mode map"),
    Claim(7, "Trapping"),
    Claim(8, "Rhythmic bursting needs NMDA"),
    Claim(9, "Robust to conductance jitter"),
)})


def claim_label(number, link: str | None = None) -> str:
    """``"3. NMDA block suppresses bursting"``, as a Markdown link to the claim's
    definition when ``link`` (the path of docs/science.md from the report) is given."""
    claim = CLAIMS[int(number)]
    text = f"{claim.number}. {claim.title}"
    return f"[{text}]({link}#{claim.anchor})" if link else text


def science_link(folder) -> str | None:
    """The path of the repository's docs/science.md as seen from ``folder`` (for links
    in reports written there), when the current folder is a habmodel checkout and
    ``folder`` is inside it; else None (plain claim names: a report elsewhere, or an
    installed package without its repository)."""
    root = Path.cwd().resolve()
    doc, folder = root / SCIENCE_DOC, Path(folder).resolve()
    if not doc.is_file() or not folder.is_relative_to(root):
        return None
    return Path(os.path.relpath(doc, folder)).as_posix()
