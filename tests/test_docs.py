"""The docs state what the code does: docs/finetuning.md quotes the prompt formats as they are built."""

from __future__ import annotations

from tests.conftest import ROOT


def test_docs_state_the_prompt_formats_as_they_are():
    """docs/finetuning.md quotes the training prompt and the ToM item of the context format as the code builds them
    (they differ: the training prompt wraps the dataset's prompt in 'Question: ... Answer: ')."""
    from tomlab.data import format_prompt
    from tomlab.prompts import ALL_CONDITIONS, build_prompt
    from tomlab.scenarios import Scenario

    doc = (ROOT / "docs" / "finetuning.md").read_text()
    train = format_prompt("Context: {context} Question: {question}")
    item = build_prompt(Scenario(1, "{context}", "{question}", "yes"), ALL_CONDITIONS[0], [], "context")
    assert train != item
    for text in (train, item):
        assert text.replace("\n", "\\n") in doc, text
    assert "verbatim" not in doc
