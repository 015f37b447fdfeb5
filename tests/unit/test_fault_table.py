"""`make faults-table` rewrites the fault table in docs/evidence.md and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fault_cases import TABLE_DOC, TABLE_END, TABLE_MARKER, with_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_is_replaced_and_what_follows_it_is_kept() -> None:
    document = f"# Intro\n\n{TABLE_MARKER}\n\nold table\n\n{TABLE_END}\n\n## Performance evidence\n"

    assert with_table(document, "new table\n") == (
        f"# Intro\n\n{TABLE_MARKER}\n\nnew table\n\n{TABLE_END}\n\n## Performance evidence\n"
    )


def test_a_document_without_the_end_marker_is_refused_rather_than_cut_short() -> None:
    with pytest.raises(ValueError, match="needs both"):
        with_table(f"{TABLE_MARKER}\n\nold table\n\n## Performance evidence\n", "new table\n")


def test_make_faults_table_rewrites_the_document_that_holds_the_table() -> None:
    # The table moved out of the README once; the target, the markers and the link must move together.
    recipe = re.search(r"^faults-table:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe is not None
    assert f"-m tests.fault_cases --doc {TABLE_DOC} " in recipe.group(1)
    document = (ROOT / TABLE_DOC).read_text()
    table = document.split(TABLE_MARKER, 1)[1].split(TABLE_END, 1)[0]
    assert "| operation | AWS call |" in table
    assert with_table(document, table.strip("\n") + "\n") == document
    assert TABLE_MARKER not in (ROOT / "README.md").read_text()
    assert f"]({TABLE_DOC})" in (ROOT / "README.md").read_text()
