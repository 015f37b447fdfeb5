"""`make faults-table` rewrites the README's fault table and nothing else."""

from __future__ import annotations

import pytest

from tests.fault_cases import README_END, README_MARKER, with_table


def test_the_table_is_replaced_and_what_follows_it_is_kept() -> None:
    document = f"# Intro\n\n{README_MARKER}\n\nold table\n\n{README_END}\n\n## Performance evidence\n"

    assert with_table(document, "new table\n") == (
        f"# Intro\n\n{README_MARKER}\n\nnew table\n\n{README_END}\n\n## Performance evidence\n"
    )


def test_a_document_without_the_end_marker_is_refused_rather_than_cut_short() -> None:
    with pytest.raises(ValueError, match="needs both"):
        with_table(f"{README_MARKER}\n\nold table\n\n## Performance evidence\n", "new table\n")
