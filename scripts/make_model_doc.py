"""Write docs/model.md from docs/model.md.in and the package's one parameter table.

Usage: ``python scripts/make_model_doc.py [--check]`` (``--check`` exits 1 if
docs/model.md is out of date; the test suite runs it).
"""

import sys
from pathlib import Path

from habmodel.model import DEFAULT_CELL, EQUATIONS
from habmodel.model.parameters import CONDITION_DOCS, markdown_table

ROOT = Path(__file__).resolve().parents[1]


def render() -> str:
    template = (ROOT / "docs" / "model.md.in").read_text()
    conditions = "\n".join(f"- **{name}**: {doc}" for name, doc in CONDITION_DOCS.items())
    return (template.replace("@EQUATIONS@", EQUATIONS.strip())
            .replace("@PARTS@", DEFAULT_CELL.markdown_table())
            .replace("@CONDITIONS@", conditions).replace("@TABLE@", markdown_table()))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = ROOT / "docs" / "model.md"
    text = render()
    if "--check" in argv:
        if not target.exists() or target.read_text() != text:
            print("docs/model.md is out of date: run python scripts/make_model_doc.py")
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
