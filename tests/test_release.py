"""Release hygiene: what students get holds no solution, no hidden test, no output, and one language."""

import re

import nbformat
import pytest
from project import ROOT
from submissions import secret_lines

from corso.language import LANGUAGES, cell_language
from corso.lessons import find_lessons, nbgrader_meta, read_source

LESSONS = find_lessons(ROOT)
RELEASES = [(lesson, language) for lesson in LESSONS for language in LANGUAGES]


def release(lesson, language):
    return nbformat.read(lesson.release(language), as_version=4)


@pytest.mark.parametrize("lesson, language", RELEASES, ids=lambda x: getattr(x, "id", x))
def test_release_holds_no_secret_and_no_output(lesson, language):
    nb = release(lesson, language)
    secrets = secret_lines(read_source(lesson))
    assert secrets, "the lesson has solutions and hidden tests to hide"
    for index, cell in enumerate(nb.cells):
        lines = {line.strip() for line in cell.source.split("\n")}
        assert not lines & secrets, f"cell {index} reveals {sorted(lines & secrets)[:3]}"
        assert "### BEGIN" not in cell.source and "### END" not in cell.source, f"cell {index} keeps a marker"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {index} has outputs"


@pytest.mark.parametrize("lesson, language", RELEASES, ids=lambda x: getattr(x, "id", x))
def test_release_has_only_its_language(lesson, language):
    nb = release(lesson, language)
    found = {cell_language(cell) for cell in nb.cells} - {None}
    assert found == {language}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_graded_cells_are_identical_across_languages(lesson):
    def graded(language):
        return [(cell.id, cell.cell_type, cell.source, cell.metadata["nbgrader"])
                for cell in release(lesson, language).cells if "nbgrader" in cell.metadata]
    italian, english = graded("it"), graded("en")
    assert italian == english and len(italian) >= 9


@pytest.mark.parametrize("lesson, language", RELEASES, ids=lambda x: getattr(x, "id", x))
def test_release_opens_cleanly(lesson, language):
    nb = release(lesson, language)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    assert nb.cells[1].source == 'NAME = ""', "the header asks for the student's name"
    stubs = [cell for cell in nb.cells if nbgrader_meta(cell).get("solution")]
    assert all("NotImplementedError" in cell.source or "YOUR ANSWER HERE" in cell.source for cell in stubs)
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids are unique"


def test_lesson_total_is_stated_and_matches_the_points():
    for lesson in LESSONS:
        nb = read_source(lesson)
        points = [nbgrader_meta(cell)["points"] for cell in nb.cells if nbgrader_meta(cell).get("grade")]
        intro = " ".join(cell.source for cell in nb.cells[:8] if cell.cell_type == "markdown")
        totals = {int(n) for n in re.findall(r"(\d+) (?:punti|points)", intro)}
        assert sum(points) in totals, f"{lesson.id}: {sum(points)} points, intro states {totals}"
