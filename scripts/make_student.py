"""The student edition of the teaching notebooks (``make student``).

    python scripts/make_student.py                    # notebooks/ -> build/student/
    python scripts/make_student.py --out DIR          # somewhere else
    python scripts/make_student.py --label            # label the exercises of notebooks/

The notebooks in ``notebooks/`` are the instructor edition: every exercise has its answer
in a collapsed cell. The student edition is a copy of each ``NN_*.ipynb`` in which

* every answer (a cell tagged ``solution``) is replaced by one empty answer cell of the same
  kind, code or Markdown, that names its exercise ("# Your answer to Exercise 2 here");
* hints (Markdown cells tagged ``hint``, collapsed) are kept;
* outputs and execution counts are stripped, a short note under the title says that this is
  the student edition, and the notebook's metadata says so too (``habmodel.edition``);
* the sentences that point to the collapsed answers point to the empty cells instead.

Every other cell is copied unchanged, so a student copy runs exactly as its instructor
notebook does (tests/test_student_edition.py checks this). The output folder also gets a
README.md for students. It is rebuilt from scratch each time, in a temporary folder beside
it that is renamed into place: it never holds a mix of two builds or a half-written file.

How exercises and answers are paired
------------------------------------
An exercise is a Markdown cell with one bold marker ``**Exercise N.``; its label is ``N``.
The label is also written into the cell's metadata (``"exercise": "N"``, tag ``exercise``),
and into that of its hints (tag ``hint``) and answers (tag ``solution``, first line
``# Answer N``). A hint or an answer belongs to the exercise its label names; it must come
after that exercise and before the next one. A cell without a label belongs to the
exercise its ``# Answer N`` line names, or else to the nearest exercise above it.
``--label`` writes the labels (and tags) into the notebooks of ``notebooks/`` from exactly
that rule, so a new notebook needs only the visible markers; it changes nothing else.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "student"
PATTERN = "[0-9][0-9]_*.ipynb"

#: The visible marker of an exercise, and the first line of an answer.
EXERCISE = re.compile(r"\*\*Exercise (\d+[a-z]?)\b")
ANSWER = re.compile(r"^\s*(?:#+|\*\*)\s*Answer (\d+[a-z]?)\b")
#: Cell tags of the roles, and the metadata key of the label.
TAG = {"exercise": "exercise", "hint": "hint", "solution": "solution", "answer": "answer"}
KEY = "exercise"


def code_pointer(label: str) -> str:
    return f"# Your answer to Exercise {label} here"


def markdown_pointer(label: str) -> str:
    return f"*Your answer to Exercise {label}*"


#: Sentences of the instructor edition about its collapsed answers, and what the student
#: edition says instead (whitespace may differ: the sentences wrap in the notebooks).
PHRASES = (
    (r"\*The answer is in the collapsed cell below\.\*",
     "*Write your answer in the empty cell below.*"),
    (r"\*A hint and the answer are in the collapsed cells below\.\*",
     "*A hint is in the collapsed cell below (click the small \"⋯\" bar to open it); write "
     "your answer in the empty cell under it.*"),
    (r"The exercises have their answers in collapsed cells: click the small \"⋯\" bar under "
     r"an exercise to open its answer\.",
     "Write your answers to the exercises in the empty cells under them; some exercises have "
     "a hint in a collapsed cell: click the small \"⋯\" bar to open it."),
)
#: Text that must not survive into a student copy (tests/test_student_edition.py).
ANSWER_TALK = re.compile(r"answers? (?:is|are) in (?:the )?collapsed|answers in collapsed cells|"
                         r"open its answer", re.IGNORECASE)

BANNER = (
    "> **Student edition.** The answers are not in this copy: under each exercise is an "
    "empty cell for yours. Some exercises have a hint in a collapsed cell (click the small "
    "\"⋯\" bar to open it). Run the notebook from the top before you start the exercises: "
    "they use its variables."
)


class PairingError(ValueError):
    """An exercise without an answer, an answer without an exercise, a label that does
    not match its cell's visible marker, or a later cell that needs an answer's names."""


@dataclass
class Exercise:
    """One exercise of a notebook: its label and the indices of its cells."""

    label: str
    cell: int
    hints: list[int] = field(default_factory=list)
    solutions: list[int] = field(default_factory=list)


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """The teaching notebooks in order: ``NN_name.ipynb`` (09 and 10 as soon as they exist)."""
    return sorted(Path(folder).glob(PATTERN))


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _role(cell) -> str | None:
    tags = _tags(cell)
    if "solution" in tags:
        return "solution"
    if "hint" in tags:
        return "hint"
    if cell.get("cell_type") == "markdown" and EXERCISE.search(_source(cell)):
        return "exercise"
    return None


def exercises(nb, name: str = "notebook") -> list[Exercise]:
    """The exercises of a notebook (a dict or a ``NotebookNode``) with their hints and
    answers, paired as the module docstring says; :class:`PairingError` if they do not
    pair up."""
    cells = nb["cells"]
    found: list[Exercise] = []
    for i, cell in enumerate(cells):
        if _role(cell) != "exercise":
            continue
        markers = EXERCISE.findall(_source(cell))
        if len(markers) != 1:
            raise PairingError(f"{name}: cell {i} holds {len(markers)} exercise markers "
                               f"({', '.join(markers)}); give each exercise its own cell")
        stored = cell.get("metadata", {}).get(KEY)
        if stored is not None and str(stored) != markers[0]:
            raise PairingError(f"{name}: cell {i} says **Exercise {markers[0]}** but is "
                               f"labelled {stored!r} in its metadata")
        if any(e.label == markers[0] for e in found):
            raise PairingError(f"{name}: two exercises are labelled {markers[0]}")
        found.append(Exercise(markers[0], i))
    by_label = {e.label: e for e in found}
    for i, cell in enumerate(cells):
        role = _role(cell)
        if role not in ("hint", "solution"):
            continue
        above = [e for e in found if e.cell < i]
        stored = cell.get("metadata", {}).get(KEY)
        first = _source(cell).strip().splitlines()[:1]
        named = ANSWER.match(first[0]) if first and role == "solution" else None
        if stored is not None:
            label = str(stored)
        elif named:
            label = named.group(1)
        elif above:
            label = above[-1].label
        else:
            raise PairingError(f"{name}: the {role} in cell {i} comes before any exercise")
        if named and named.group(1) != label:
            raise PairingError(f"{name}: cell {i} starts with 'Answer {named.group(1)}' but "
                               f"is labelled {label!r}")
        owner = by_label.get(label)
        if owner is None:
            raise PairingError(f"{name}: the {role} in cell {i} names Exercise {label}, "
                               "which this notebook does not have")
        later = [e.cell for e in found if e.cell > owner.cell]
        if not owner.cell < i < (later[0] if later else len(cells)):
            raise PairingError(f"{name}: the {role} of Exercise {label} (cell {i}) must come "
                               f"after its exercise (cell {owner.cell}) and before the next")
        if role == "hint" and cell.get("cell_type") != "markdown":
            raise PairingError(f"{name}: the hint in cell {i} should be a Markdown cell")
        (owner.hints if role == "hint" else owner.solutions).append(i)
    for e in found:
        if not e.solutions:
            raise PairingError(f"{name}: Exercise {e.label} (cell {e.cell}) has no answer "
                               "(a cell tagged 'solution' after it)")
        if e.hints and max(e.hints) > min(e.solutions):
            raise PairingError(f"{name}: the hints of Exercise {e.label} should come before "
                               "its answer")
    return found


# --- what a cell reads and binds (the student copy must not need an answer's names) ------

def _python(source: str) -> ast.Module:
    """A code cell as Python; IPython's ``%magic`` and ``!shell`` lines count as blank."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    return ast.parse("\n".join(lines))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def bound_names(node: ast.AST) -> set[str]:
    """The names a statement binds in its own scope (not inside a function, class or
    comprehension it defines): assignments, loop and ``with`` targets, imports, ``def``
    and ``class`` names."""
    names: set[str] = set()

    def visit(n, top):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            return
        if not top and isinstance(n, _SCOPES):
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in n.names if a.name != "*")
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        for child in ast.iter_child_nodes(n):
            visit(child, False)

    visit(node, True)
    return names


def _reads(node: ast.AST, local: frozenset) -> set[str]:
    """Names read by ``node`` that are not local to a function or comprehension in it."""
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) and node.id not in local else set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        outer = [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]
        if not isinstance(node, ast.Lambda):
            outer += [*node.decorator_list]
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = node.body if isinstance(node.body, list) else [node.body]
        inner = local | params | set().union(*(bound_names(b) for b in body))
        return set().union(*(_reads(n, local) for n in outer),
                           *(_reads(b, frozenset(inner)) for b in body))
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        targets = set().union(*(bound_names(g.target) for g in node.generators))
        inner = frozenset(local | targets)
        return set().union(*(_reads(n, inner) for n in ast.iter_child_nodes(node)))
    return set().union(set(), *(_reads(n, local) for n in ast.iter_child_nodes(node)))


def cell_reads(source: str) -> set[str]:
    """The names a code cell reads before it binds them itself (so from earlier cells)."""
    read, bound = set(), set()
    for statement in _python(source).body:
        read |= _reads(statement, frozenset()) - bound
        bound |= bound_names(statement)
    return read


def cell_binds(source: str) -> set[str]:
    """The names a code cell binds for the cells after it."""
    return set().union(set(), *(bound_names(s) for s in _python(source).body))


def answers_read_later(nb) -> list[str]:
    """Names bound in an answer (a cell tagged ``solution``) and read by a later cell that
    is not an answer: such a cell would fail, or compute something else, in the student
    copy. One line per case; empty when the student copy can run top to bottom."""
    found, bound = [], {}
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        if "solution" in _tags(cell):
            for name in cell_binds(source):
                bound.setdefault(name, i)
            continue
        for name in sorted(cell_reads(source) & set(bound)):
            found.append(f"cell {i} reads '{name}', which the answer in cell {bound[name]} "
                         "sets")
    return found


def _student_markdown(text: str) -> str:
    for pattern, replacement in PHRASES:
        text = re.sub(r"\s+".join(pattern.split(" ")), replacement, text)
    return text


def _answer_cell(kind: str, label: str):
    if kind == "code":
        cell = nbformat.v4.new_code_cell(code_pointer(label))
    else:
        cell = nbformat.v4.new_markdown_cell(markdown_pointer(label))
    cell.id = f"answer-{label}"
    cell.metadata = {"tags": [TAG["answer"]], KEY: label}
    return cell


def student_notebook(nb, name: str = "notebook"):
    """The student copy of one instructor notebook (a ``NotebookNode``, left unchanged)."""
    found = exercises(nb, name)
    needs = answers_read_later(nb)
    if needs:
        raise PairingError(f"{name}: the student copy would lack an answer's names: "
                           + "; ".join(needs))
    answer_at = {e.solutions[0]: e for e in found}
    dropped = {i for e in found for i in e.solutions[1:]}
    out = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        if i in answer_at:
            e = answer_at[i]
            cells.append(_answer_cell(cell.cell_type, e.label))
            continue
        if i in dropped:
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = _student_markdown(cell.source)
        cells.append(cell)
        if i == 0:  # the note goes under the title and learning goals
            banner = nbformat.v4.new_markdown_cell(BANNER)
            banner.id = "student-edition"
            banner.metadata = {"tags": ["student-edition"]}
            cells.append(banner)
    ids = [c.get("id") for c in cells]
    if len(set(ids)) != len(ids):
        raise PairingError(f"{name}: the student copy would repeat a cell id")
    out.cells = cells
    out.metadata["habmodel"] = {
        "edition": "student",
        "instructor_notebook": f"notebooks/{name}.ipynb",
        "exercises": [e.label for e in found],
        "made_by": "scripts/make_student.py (make student)",
    }
    nbformat.validate(out)
    return out


def _title(nb) -> str:
    for line in _source(nb.cells[0]).splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def student_readme(readme: str, notebooks: dict[str, object]) -> str:
    """The students' README.md: the notebooks (what each covers, from the table of the
    instructor README where it has a row, else the notebook's title) and how to run them;
    no answers and no developer notes."""
    covers = dict(re.findall(r"^\| \[([^\]]+)\]\([^)]*\) \| (.*) \|\s*$", readme, re.M))
    rows = [f"| [{stem}]({stem}.ipynb) | "
            f"{covers.get(stem) or _title(nb).split(' · ', 1)[-1]} |"
            for stem, nb in notebooks.items()]

    def para(text: str) -> str:
        return textwrap.fill(text, width=96, break_long_words=False, break_on_hyphens=False)

    return "\n".join([
        "# Teaching notebooks: student edition", "",
        para("These notebooks tell the story of habmodel: why lateral habenula (LHb) neurons "
             "burst in depression, and how ketamine stops them. Each one states its learning "
             "goals at the top and ends with exercises. Under each exercise is an empty cell "
             "for your answer; some exercises have a hint in a collapsed cell (click the small "
             "\"⋯\" bar under the exercise to open it). Your teacher has the answers."), "",
        "| notebook | what it covers |", "|---|---|", *rows, "",
        para("Read them in order. Run each notebook from the top (*Run → Run All Cells*) in a "
             "fresh kernel before you start its exercises: the exercises use the variables of "
             "the cells above them."), "",
        "## Running them", "",
        para("You need habmodel with its notebook extras: in the habmodel folder, "
             "`pip install -e \".[notebooks]\"` (your teacher may have done this for you). "
             "Then open this folder in JupyterLab:"), "",
        "```", "jupyter lab", "```", "",
        para("The first simulation on a new computer compiles the model once (a few seconds); "
             "after that a notebook runs in a minute or two. The sliders of notebook 06 need "
             "JupyterLab with ipywidgets. Notebook 06 writes its files into `outputs/` beside "
             "it."), "",
    ])


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def build(notebooks: Path = NOTEBOOKS, out: Path = OUT) -> list[Path]:
    """Write the student edition of every ``NN_*.ipynb`` of ``notebooks`` (and README.md)
    to ``out``, replacing whatever was there; returns the files written."""
    notebooks, out = Path(notebooks), Path(out)
    paths = notebook_paths(notebooks)
    if not paths:
        raise FileNotFoundError(f"no notebooks {PATTERN} in {notebooks}")
    instructor = {p.stem: nbformat.read(p, as_version=4) for p in paths}
    copies = {stem: student_notebook(nb, stem) for stem, nb in instructor.items()}
    readme = notebooks / "README.md"
    readme_text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        for stem, nb in copies.items():
            _write_text(staging / f"{stem}.ipynb", nbformat.writes(nb) + "\n")
        _write_text(staging / "README.md", student_readme(readme_text, instructor))
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / f"{stem}.ipynb" for stem in copies] + [out / "README.md"]


def _swap_in(staging: Path, out: Path) -> None:
    """Rename the finished ``staging`` folder to ``out``; the old ``out`` is moved aside
    first and deleted after, so ``out`` is always one complete build."""
    for _ in range(5):  # another build may put its folder in place between the two renames
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            os.replace(out, old / out.name)
        try:
            os.rename(staging, out)
        except OSError:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            continue
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return
    raise OSError(f"could not put the student edition in place at {out}")


def label(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write each exercise's label and role tag into the metadata of its exercise, hint and
    answer cells, in the notebooks of ``notebooks`` (in place; only those keys change, and
    the JSON keeps its layout). Returns the notebooks that changed."""
    changed = []
    for path in notebook_paths(notebooks):
        raw = path.read_text(encoding="utf-8")
        nb = json.loads(raw)
        for e in exercises(nb, path.stem):
            for index, role in ([(e.cell, "exercise")] + [(i, "hint") for i in e.hints]
                                + [(i, "solution") for i in e.solutions]):
                meta = nb["cells"][index].setdefault("metadata", {})
                tags = meta.setdefault("tags", [])
                if TAG[role] not in tags:
                    tags.append(TAG[role])
                meta[KEY] = e.label
                nb["cells"][index]["metadata"] = dict(sorted(meta.items()))  # as nbformat
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if text != raw:
            temporary = path.with_name(f".{path.name}.tmp")
            _write_text(temporary, text)
            os.replace(temporary, path)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS,
                        help="the instructor notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="the student edition's folder, rebuilt from scratch "
                             "(default: build/student/)")
    parser.add_argument("--label", action="store_true",
                        help="instead: write the exercise labels and tags into the "
                             "instructor notebooks")
    args = parser.parse_args(argv)
    try:
        if args.label:
            changed = label(args.notebooks)
            print(f"labelled {len(changed)} notebook(s)" + "".join(
                f"\n  {p.name}" for p in changed))
            return 0
        written = build(args.notebooks, args.out)
    except (PairingError, OSError) as err:
        print(f"make_student: error: {err}", file=sys.stderr)
        return 2
    n = len(written) - 1
    print(f"student edition: {n} notebooks and README.md in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
