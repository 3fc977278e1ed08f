"""The project stands on its own: no tracked file points outside the repository.

Users have only this repository (or the installed package), so code, docs, notebooks,
figure captions and tests cite files inside it (the science: ``docs/science.md``).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Built from parts so that this file does not match itself.
OUTSIDE_FOLDER = "shared" + "/"
RELATIVE_PATH = re.compile(r"(?<![\w./-])((?:\.\./)+)([\w.-][\w./-]*)")
BINARY = {".png", ".svg", ".pdf", ".parquet", ".so", ".o", ".pyc", ".jpg", ".gif"}


def _tracked_text_files():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout (lists the tracked files)")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        path = ROOT / name
        if path.suffix.lower() in BINARY or not path.is_file():
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def test_no_tracked_file_points_outside_the_repository():
    found = []
    for name, text in _tracked_text_files():
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_FOLDER in line:
                found.append(f"{name}:{number}: mentions {OUTSIDE_FOLDER!r}")
            for match in RELATIVE_PATH.finditer(line):
                target = ((ROOT / name).parent / match.group(0)).resolve()
                if not target.is_relative_to(ROOT):
                    found.append(f"{name}:{number}: {match.group(0)} is outside the repository")
    assert not found, "\n".join(found)


def test_the_check_finds_what_it_looks_for():
    """The two patterns above catch a path above the root, and only that."""
    above = "../" * 2 + "x/y.md"  # built, so that the check above does not find it here
    line = f"see {above} and ../docs/science.md"
    outside = [m.group(0) for m in RELATIVE_PATH.finditer(line)
               if not ((ROOT / "notebooks") / m.group(0)).resolve().is_relative_to(ROOT)]
    assert outside == [above]


def test_science_doc_defines_every_claim_that_validate_checks():
    """docs/science.md is the one place the claims are defined: the titles that
    ``habmodel validate`` prints are its headings, word for word."""
    from habmodel.claims import CLAIMS

    text = (ROOT / "docs" / "science.md").read_text(encoding="utf-8")
    headings = dict(re.findall(r'<a id="claim-(\d+)"></a>\n\*\*Claim \d+\. (.+?)\.\*\*', text))
    assert {int(k): v for k, v in headings.items()} == {k: c.title for k, c in CLAIMS.items()}


def _rows(text: str) -> list[str]:
    """Table rows with the link targets taken out (they differ by the file's folder)."""
    return [re.sub(r"\]\([^)]*#(claim-\d+)\)", r"](\1)", line)
            for line in text.splitlines() if line.startswith("|")]


def test_readme_table_is_the_one_habmodel_validate_wrote():
    """README's "What the model reproduces" is docs/reproduces.md (both written by
    ``habmodel validate --out docs --readme README.md``), and names the claims of
    docs/science.md, in order."""
    from habmodel.claims import CLAIMS
    from habmodel.cli.experiments import README_END, README_START

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0]
    table = (ROOT / "docs" / "reproduces.md").read_text(encoding="utf-8")
    assert _rows(block) == _rows(table)
    assert table.count("science.md#claim-") == len(CLAIMS)
    labels = [re.match(r"\| \[(\d+)\. (.+?)\]\(claim-\1\)", row) for row in _rows(table)[2:]]
    assert all(labels), "every row links to its claim in docs/science.md"
    assert [(int(m[1]), m[2]) for m in labels] == [(k, c.title) for k, c in CLAIMS.items()]
    assert "✗" not in table, "a claim fails: see docs/validation.md"
