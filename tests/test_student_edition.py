"""The student edition of the teaching notebooks (``make student``: scripts/make_student.py)
and the instructor's guide (docs/teaching.md).

How an exercise and its answer are paired: an exercise is a Markdown cell with one marker
``**Exercise N.``; its label ``N`` is also in the cell's metadata (``"exercise": "N"``, tag
``exercise``). Its hints (Markdown, tag ``hint``, collapsed) and its answer (tag
``solution``, collapsed, first line ``# Answer N``) carry the same label and sit between it
and the next exercise. The fast tests check that rule on every notebook (01-08 and any
``NN_*.ipynb`` that appears), that the student copies hold no answer text, have one empty
answer cell per exercise and otherwise the instructor's code cells, unchanged and in
order, and that no later cell needs a name that only an answer sets (statically, with
``ast``). Together these mean that the instructor notebook's run (tests/test_notebooks.py)
proves that its student copy runs; the ``notebook`` test runs two student copies as well.
The guide's worksheet links are read by the lab's own settings parser (settings.js, in
Node), so a link can never open a state the lab refuses.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import nbformat
import pytest
from test_notebooks import SHORT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_student  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"
NAMES = [path.stem for path in make_student.notebook_paths(NOTEBOOK_DIR)]
#: The student copies that are executed (the others are covered structurally): the first
#: notebook, and one with four exercises, a protocol module and figures of its own.
EXECUTED = ("01_meet_the_lhb_neuron", "05_slice_protocols")
GUIDE = ROOT / "docs" / "teaching.md"
DRIVER = Path(__file__).parent / "js" / "lab_driver.mjs"


def _load(name: str):
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _hidden(cell) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden"))


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition, built once for this module."""
    out = tmp_path_factory.mktemp("edition") / "student"
    make_student.build(NOTEBOOK_DIR, out)
    return out


def _student(edition, name):
    return nbformat.read(edition / f"{name}.ipynb", as_version=4)


# --- the instructor edition: exercises, hints and answers pair up ---------------------------

def test_there_are_notebooks_and_the_executed_ones_exist():
    assert set(NAMES) >= set(SHORT), "make_student does not find the notebooks of the series"
    assert set(EXECUTED) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_an_answer_and_every_answer_an_exercise(name):
    nb = _load(name)
    found = make_student.exercises(nb, name)  # PairingError names what does not pair up
    assert found, f"{name}: no exercises"
    assert [e.label for e in found] == [str(i) for i in range(1, len(found) + 1)], (
        f"{name}: exercises should be numbered 1, 2, ... in order")
    paired = {i for e in found for i in e.solutions}
    tagged = {i for i, c in enumerate(nb.cells) if "solution" in _tags(c)}
    assert paired == tagged, f"{name}: answers without an exercise: {sorted(tagged - paired)}"
    hinted = {i for e in found for i in e.hints}
    assert hinted == {i for i, c in enumerate(nb.cells) if "hint" in _tags(c)}
    markers = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
               and "**Exercise" in c.source]
    assert markers == [e.cell for e in found]


@pytest.mark.parametrize("name", NAMES)
def test_the_pairing_is_explicit_in_every_cell(name):
    """Exercise, hints and answers carry the label and their role's tag; answers and hints
    are collapsed; an answer's first line names its exercise."""
    nb = _load(name)
    for e in make_student.exercises(nb, name):
        roles = ([(e.cell, "exercise")] + [(i, "hint") for i in e.hints]
                 + [(i, "solution") for i in e.solutions])
        for index, role in roles:
            cell = nb.cells[index]
            hint = "label them with: python scripts/make_student.py --label"
            assert cell.metadata.get("exercise") == e.label, (
                f"{name}: cell {index} ({role} of Exercise {e.label}) has no label; {hint}")
            assert role in _tags(cell), f"{name}: cell {index} lacks the tag '{role}'; {hint}"
            if role != "exercise":
                assert _hidden(cell), f"{name}: the {role} in cell {index} is not collapsed"
        for index in e.solutions:
            first = nb.cells[index].source.strip().splitlines()[0]
            match = make_student.ANSWER.match(first)
            assert match and match.group(1) == e.label, (
                f"{name}: the answer in cell {index} should start with '# Answer {e.label}'")
        for index in e.hints:
            assert nb.cells[index].cell_type == "markdown"
            assert nb.cells[index].source.startswith("**Hint")


def _notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def _md(text, **meta):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata.update(meta)
    return cell


def _code(text, tags=(), **meta):
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata.update(meta)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def test_the_pairing_rule_catches_what_it_should():
    ex1, ex2 = _md("**Exercise 1.** Do it."), _md("**Exercise 2.** And this.")
    good = _notebook(_md("# T"), ex1, _md("**Hint.** h", tags=["hint"]),
                     _code("# Answer 1\nx = 1", ["solution"]), ex2,
                     _code("# Answer 2\ny = 2", ["solution"]))
    found = make_student.exercises(good)
    assert [(e.label, e.cell, e.hints, e.solutions) for e in found] == [
        ("1", 1, [2], [3]), ("2", 4, [], [5])]
    bad = {
        "has no answer": _notebook(ex1, _code("# Answer 1", ["solution"]), ex2),
        "before any exercise": _notebook(_code("x = 1", ["solution"]), ex1),
        "does not have": _notebook(ex1, _code("# Answer 3", ["solution"])),
        "is labelled": _notebook(ex1, ex2, _code("# Answer 2", ["solution"], exercise="1")),
        "must come after": _notebook(ex1, _code("# Answer 1", ["solution"]), ex2,
                                     _code("z = 1", ["solution"], exercise="1")),
        "before its answer": _notebook(ex1, _code("# Answer 1", ["solution"]),
                                       _md("**Hint.** late", tags=["hint"])),
        "2 exercise markers": _notebook(_md("**Exercise 1.** a **Exercise 2.** b"),
                                        _code("# Answer 1", ["solution"])),
        "two exercises": _notebook(ex1, _code("# Answer 1", ["solution"]),
                                   _md("**Exercise 1.** again"), _code("# Answer 1", ["solution"])),
    }
    for message, nb in bad.items():
        with pytest.raises(make_student.PairingError, match=message):
            make_student.exercises(nb)


# --- a student copy needs nothing from the answers ------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_no_later_cell_reads_a_name_that_an_answer_sets(name):
    assert make_student.answers_read_later(_load(name)) == []


def test_the_reader_check_finds_a_dependency_and_only_that():
    reads = make_student.cell_reads(
        "a = a + 1\nb = [k for k in range(n)]\ndef f(p, q=r):\n    s = p + t\n    return s\n"
        "%matplotlib inline\nimport numpy as np\nnp.sum(u)\n")
    assert reads == {"a", "range", "n", "r", "t", "u"}
    assert make_student.cell_binds("x = 1\nfor i in y: pass\nimport a.b as c, d.e\n"
                                   "[j for j in y]\ndef f(): pass\n") == {"x", "i", "c", "d", "f"}
    nb = _notebook(_md("**Exercise 1.** x"), _code("# Answer 1\nfit = 2", ["solution"]),
                   _code("print(fit)"), _code("fit = 3\nprint(fit)"))
    assert make_student.answers_read_later(nb) == [
        "cell 2 reads 'fit', which the answer in cell 1 sets"]
    with pytest.raises(make_student.PairingError, match="lack an answer's names"):
        make_student.student_notebook(nb)


# --- the student copies -----------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_student_copy_is_a_valid_stripped_student_notebook(edition, name):
    nb = _student(edition, name)
    nbformat.validate(nb)
    assert nb.metadata["habmodel"]["edition"] == "student"
    assert nb.metadata["habmodel"]["instructor_notebook"] == f"notebooks/{name}.ipynb"
    assert nb.metadata["kernelspec"] == _load(name).metadata["kernelspec"]
    for cell in nb.cells:
        assert "solution" not in _tags(cell)
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "student-edition" in _tags(nb.cells[1]), "the note under the title is missing"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not make_student.ANSWER_TALK.search(text), (
        f"{name}: the student copy still points to collapsed answers")


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_holds_no_answer_text(edition, name):
    instructor = _load(name)
    others = "\n".join(c.source for c in instructor.cells if "solution" not in _tags(c))
    student = (edition / f"{name}.ipynb").read_text(encoding="utf-8")
    text = "\n".join(c.source for c in nbformat.reads(student, as_version=4).cells)
    for cell in instructor.cells:
        if "solution" not in _tags(cell):
            continue
        assert cell.source.strip() not in text
        for line in cell.source.splitlines():
            line = line.strip()
            if len(line) >= 12 and line not in others:
                assert line not in text, f"{name}: answer text in the student copy: {line!r}"
    assert not re.search(r"^\s*# Answer \d", text, re.M)


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_has_one_empty_answer_cell_per_exercise(edition, name):
    instructor = _load(name)
    found = make_student.exercises(instructor, name)
    nb = _student(edition, name)
    answers = [(i, c) for i, c in enumerate(nb.cells) if "answer" in _tags(c)]
    assert [c.metadata["exercise"] for _, c in answers] == [e.label for e in found]
    for (i, cell), e in zip(answers, found, strict=True):
        kind = instructor.cells[e.solutions[0]].cell_type
        assert cell.cell_type == kind, f"{name}: Exercise {e.label}: answer cell not {kind}"
        pointer = (make_student.code_pointer if kind == "code"
                   else make_student.markdown_pointer)(e.label)
        assert cell.source == pointer and f"Exercise {e.label}" in pointer
        assert not _hidden(cell)
        # right under its exercise and the exercise's hints
        above = nb.cells[i - 1 - len(e.hints)]
        assert f"**Exercise {e.label}" in above.source
        assert all("hint" in _tags(c) for c in nb.cells[i - len(e.hints):i])
        if kind == "code":
            assert ast.parse(cell.source).body == [], "an answer cell must run as a no-op"
    hints = [c.source for c in nb.cells if "hint" in _tags(c)]
    assert hints == [instructor.cells[i].source for e in found for i in e.hints]
    assert all(_hidden(c) for c in nb.cells if "hint" in _tags(c))


@pytest.mark.parametrize("name", NAMES)
def test_student_code_cells_are_the_instructors(edition, name):
    """Every code cell of the student copy is an instructor cell (same source, same order)
    or an empty answer cell: so the instructor run shows that the student copy runs."""
    instructor = [c.source for c in _load(name).cells
                  if c.cell_type == "code" and "solution" not in _tags(c)]
    student = [c.source for c in _student(edition, name).cells
               if c.cell_type == "code" and "answer" not in _tags(c)]
    assert student == instructor


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("name", EXECUTED)
def test_student_copy_runs_top_to_bottom(edition, name, tmp_path, monkeypatch, brian2_here):
    """Two student copies in a fresh kernel, with test_notebooks.py's shortened parameters."""
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("HABMODEL_PROGRESS", "0")
    executed = papermill.execute_notebook(
        str(edition / f"{name}.ipynb"), str(tmp_path / f"{name}.ipynb"),
        parameters=dict(SHORT[name]), kernel_name="python3", cwd=str(tmp_path),
        progress_bar=False, execution_timeout=300)
    outputs = [out for cell in executed.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    assert [out for out in outputs if "image/png" in out.get("data", {})]


# --- the build: make student ----------------------------------------------------------------

def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def test_make_student_writes_a_clean_folder_and_leaves_the_notebooks_alone(tmp_path):
    before = _digests(NOTEBOOK_DIR)
    out = tmp_path / "build" / "student"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_student.py"),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.ipynb" for n in NAMES] + ["README.md"])
    first = _digests(out)
    (out / "stale.ipynb").write_text("{}")
    make_student.build(NOTEBOOK_DIR, out)
    assert _digests(out) == first, "a rebuild is not a clean, identical folder"
    assert sorted(p.name for p in out.parent.iterdir()) == ["student"], "staging left behind"
    assert _digests(NOTEBOOK_DIR) == before, "the instructor notebooks were changed"


def test_a_notebook_that_does_not_pair_up_stops_the_build_and_keeps_the_old_one(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    shutil.copy(NOTEBOOK_DIR / f"{NAMES[0]}.ipynb", source)
    out = tmp_path / "student"
    make_student.build(source, out)
    good = _digests(out)
    broken = _notebook(_md("# 99 · Broken"), _md("**Exercise 1.** no answer"))
    nbformat.write(broken, source / "99_broken.ipynb")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_student.py"),
                           "--notebooks", str(source), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "99_broken: Exercise 1" in done.stderr
    assert _digests(out) == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "student"]


def test_label_writes_the_labels_and_changes_nothing_else(tmp_path):
    """--label restores exactly the labels of notebooks/ from the visible markers and the
    role tags of hints and answers, and leaves every other byte as it was."""
    source = tmp_path / "notebooks"
    source.mkdir()
    path = source / f"{NAMES[0]}.ipynb"
    shutil.copy(NOTEBOOK_DIR / path.name, path)
    assert make_student.label(source) == [], "the notebooks of the repository are labelled"
    raw = json.loads(path.read_text(encoding="utf-8"))
    for cell in raw["cells"]:  # take the labels away, keep the markers and role tags
        meta = cell["metadata"]
        meta.pop("exercise", None)
        if "exercise" in meta.get("tags", []):
            meta["tags"].remove("exercise")
            if not meta["tags"]:
                del meta["tags"]
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert make_student.label(source) == [path]
    assert path.read_bytes() == (NOTEBOOK_DIR / path.name).read_bytes()


def test_student_readme_lists_every_notebook_and_no_answers(edition):
    text = (edition / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"]({name}.ipynb)" in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (edition / target).is_file(), f"README.md links to {target}, not in the folder"
    assert not make_student.ANSWER_TALK.search(text)
    assert "For developers" not in text and "student edition" in text


# --- docs/teaching.md -----------------------------------------------------------------------

def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """The guide's notebook sections: the ``### NN`` headings and their text."""
    parts = re.split(r"^### ", text, flags=re.M)[1:]
    return {part.split()[0]: part for part in parts if re.match(r"\d\d\b", part)}


#: Worksheet links: relative ones for a folder written by `habmodel lab --out lab`, and
#: the same view served by `habmodel app`.
LINK = re.compile(r"(?:\]\(|`)(lab/index\.html|http://127\.0\.0\.1:8000/)(\?[^)`\s]*)")


def _links(text: str) -> list[str]:
    return [query for _, query in LINK.findall(text)]


def test_guide_has_a_section_for_every_notebook():
    sections = _sections(_guide())
    for name in NAMES:
        number = name[:2]
        assert number in sections, f"docs/teaching.md has no '### {number}' section"
        body = sections[number]
        assert f"`{name}`" in body
        for part in ("Learning goals", "Time", "Misconceptions", "Worksheet"):
            assert f"**{part}" in body, f"docs/teaching.md, {number}: no **{part}**"
        assert _links(body), f"docs/teaching.md, {number}: no worksheet link"
    for number in sections:
        exists = any(name.startswith(number) for name in NAMES)
        assert exists or "coming with issue 27" in sections[number], number


def test_guide_links_use_only_what_the_lab_knows():
    """Without Node: every setting of every link is a control, a parameter of the table,
    the condition, the step's times or the tour step; or, in the voltage clamp
    (mode=vclamp), a protocol, a clamp setting, a drug, a current or a parameter."""
    from habmodel.experiments import VCLAMP_PROTOCOLS
    from habmodel.lab.settings import CLAMP_SETTINGS, CONTROLS, DRUG_CONTROLS, TOUR
    from habmodel.model.equations import DEFAULT_CELL
    from habmodel.model.parameters import CONDITIONS, PARAMETERS

    links = _links(_guide())
    assert len(links) >= 20
    assert any("mode=vclamp" in query for query in links)
    for query in links:
        clamp = "mode=vclamp" in query
        for key, value in parse_qsl(urlsplit(query).query, strict_parsing=True):
            if key == "tour":
                assert 1 <= int(value) <= len(TOUR), query
            elif key == "condition":
                assert value in CONDITIONS, query
            elif key == "mode":
                assert value == "vclamp", query
            elif clamp and key == "protocol":
                assert value in (*VCLAMP_PROTOCOLS, "custom"), query
            elif clamp and key == "current":
                assert value in ("I_total", *DEFAULT_CELL.currents), query
            elif clamp:
                assert key in CLAMP_SETTINGS or key in DRUG_CONTROLS or key in PARAMETERS, (
                    f"{query}: unknown setting {key}")
            else:
                assert key in CONTROLS or key in PARAMETERS or key in (
                    "step_start", "step_stop"), f"{query}: unknown setting {key}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from habmodel.lab import build_lab

    return build_lab(tmp_path_factory.mktemp("lab") / "lab")


def test_guide_links_open_a_state_the_lab_accepts(lab):
    """Each link's query through the lab's own settings.js (Settings.fromQuery, or
    ClampSettings.fromQuery for mode=vclamp) in Node, as the page reads its address: no
    link may be refused."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (Debian: apt-get install nodejs)")
    links = sorted(set(_links(_guide())))
    jobs = [{"kind": "query", "search": query} for query in links]
    done = subprocess.run([node, str(DRIVER)], input=json.dumps({"lab": str(lab), "jobs": jobs}),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    refused = {q: r["error"] for q, r in zip(links, json.loads(done.stdout), strict=True)
               if "error" in r}
    assert refused == {}
