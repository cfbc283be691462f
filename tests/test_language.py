"""The language filter, alone and as nbgrader runs it."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from corso.language import LanguageFilter, cell_language, filter_language


def bilingual():
    return new_notebook(cells=[
        new_markdown_cell("Ciao", metadata={"tags": ["it"]}),
        new_markdown_cell("Hello", metadata={"tags": ["en"]}),
        new_code_cell("x = 1"),
        new_markdown_cell("$x^2$"),
        new_markdown_cell("Fine", metadata={"tags": ["it", "nbval-ignore-output"]}),
        new_markdown_cell("End", metadata={"tags": ["en"]}),
    ])


@pytest.mark.parametrize("language, kept", [("it", ["Ciao", "x = 1", "$x^2$", "Fine"]),
                                            ("en", ["Hello", "x = 1", "$x^2$", "End"])])
def test_keeps_one_language_and_the_shared_cells(language, kept):
    assert [cell.source for cell in filter_language(bilingual(), language).cells] == kept


def test_preprocessor_uses_its_configured_language():
    nb, _ = LanguageFilter(language="en").preprocess(bilingual(), {})
    assert [cell_language(cell) for cell in nb.cells] == ["en", None, None, "en"]
    assert LanguageFilter().enabled, "nbconvert skips a preprocessor that is not enabled"


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        filter_language(bilingual(), "fr")


def test_filtered_notebook_is_still_valid():
    nbformat.validate(filter_language(bilingual(), "it"))
