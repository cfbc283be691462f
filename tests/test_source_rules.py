"""The authoring rules: the real lessons obey them, and a broken source stops the build, naming the cell."""

import json
import re

import pytest
from project import ROOT

from corso import language_pack
from corso.build import build, generated_files
from corso.language import cell_language
from corso.lessons import LESSON_FOLDER, SourceError, find_lessons, nbgrader_meta, read_source

LESSONS = find_lessons(ROOT)


def test_the_course_has_its_five_lessons():
    assert [lesson.id for lesson in LESSONS] == ["01-tensors", "02-autograd", "03-regression", "04-mnist-mlp",
                                                 "05-debugging"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_lesson_follows_the_rules(lesson):
    nb = read_source(lesson)  # raises SourceError on any broken rule
    assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*", lesson.id) and LESSON_FOLDER.fullmatch(lesson.id)
    languages = [cell_language(cell) for cell in nb.cells if cell_language(cell)]
    assert languages.count("it") == languages.count("en") > 0
    graded = [nbgrader_meta(cell) for cell in nb.cells if nbgrader_meta(cell).get("grade")]
    assert all(meta["points"] > 0 for meta in graded)
    auto = [meta for meta in graded if not nbgrader_meta_is_manual(meta)]
    manual = [meta for meta in graded if nbgrader_meta_is_manual(meta)]
    assert len(auto) >= 4, "at least 4 auto-graded test cells"
    assert len(manual) >= 1, "at least 1 manually graded written answer"
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code" and cell.source != 'NAME = ""')
    assert "torch.manual_seed(SEED)" in first_code.source and "device" in first_code.source, \
        "the setup cell comes first"


def nbgrader_meta_is_manual(meta):
    return meta.get("solution", False)


MENU_PATH = re.compile(r"\*([^*\n]+ → [^*\n]+)\*")  # *Kernel → Restart Kernel and Run All Cells…*


def test_menu_items_are_named_as_each_interface_spells_them():
    """Every *Menu → Item* the lessons' prose and the students' READMEs name is one of the course's menu paths,
    in the language of the text (the browser test of tests/test_language_pack.py finds each in the menus)."""
    paths = language_pack.course_translations()["menu_paths"]["paths"]
    known = {"en": set(paths), "it": set(paths.values())}
    texts = [(cell_language(cell), cell.source) for lesson in LESSONS for cell in read_source(lesson).cells
             if cell.cell_type == "markdown" and cell_language(cell)]
    texts += [(language, (ROOT / "corso" / "student" / f"README.{language}.md").read_text(encoding="utf-8"))
              for language in known]
    named = [(language, path) for language, text in texts for path in MENU_PATH.findall(text)]
    assert {language for language, _ in named} == {"it", "en"}, named
    assert [(language, path) for language, path in named if path not in known[language]] == []


def write_cells(course, edit):
    """Apply ``edit`` to the cells of the course's only lesson, as an author's mistake would."""
    (path,) = (course / "source").glob("*/*.ipynb")
    nb = json.loads(path.read_text())
    edit(nb["cells"])
    path.write_text(json.dumps(nb))
    return path


def cell_by_id(cells, cell_id):
    return next(cell for cell in cells if cell["id"] == cell_id)


def duplicate_grade_id(cells):
    cell_by_id(cells, "square_tests")["metadata"]["nbgrader"]["grade_id"] = "double_tests"


def graded_without_points(cells):
    del cell_by_id(cells, "square_tests")["metadata"]["nbgrader"]["points"]


def solution_without_end(cells):
    cell = cell_by_id(cells, "square")
    cell["source"] = cell["source"].replace("### END SOLUTION", "")


def italian_without_english(cells):
    english = next(i for i, cell in enumerate(cells) if cell["metadata"].get("tags") == ["en"] and i > 3)
    del cells[english]


def outputs_in_source(cells):
    cell = cell_by_id(cells, "square")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "4\n"}]
    cell["execution_count"] = 1


def tagged_answer(cells):
    cell_by_id(cells, "double")["metadata"]["tags"] = ["it"]


def untried_stub(cells):
    answer = cells.index(cell_by_id(cells, "double"))
    cells.insert(answer + 1, {"cell_type": "code", "id": "try-double", "metadata": {}, "source": "print(double(2))",
                              "outputs": [], "execution_count": None})


BROKEN = {
    duplicate_grade_id: r"cell \d+ \(id 'square_tests'\): duplicate grade id 'double_tests' \(first used in cell \d+\)",
    graded_without_points: r"cell \d+ \(id 'square_tests'\): graded cell 'square_tests' has no points",
    solution_without_end: r"cell \d+ \(id 'square'\): '### BEGIN SOLUTION' without its '### END SOLUTION'",
    italian_without_english: r"cell \d+ \(id 'md-\d+-it'\): 'it' cell without its 'en' twin right after it",
    outputs_in_source: r"cell \d+ \(id 'square'\): source cells carry no outputs",
    tagged_answer: r"cell \d+ \(id 'double'\): graded or answer cells are shared by both languages",
    untried_stub: r"cell \d+ \(id 'try-double'\): this cell tries double before its tests: catch the stub's "
                  r"NotImplementedError",
}


@pytest.mark.parametrize("mistake", BROKEN, ids=lambda mistake: mistake.__name__)
def test_a_broken_source_stops_the_build_naming_notebook_and_cell(mini_course, mistake):
    before = {path: path.read_bytes() for path in generated_files(mini_course)}
    path = write_cells(mini_course, mistake)
    with pytest.raises(SourceError) as raised:
        build(mini_course, log=lambda line: None)
    message = str(raised.value)
    assert str(path) in message
    assert re.search(BROKEN[mistake], message), message
    assert {path: path.read_bytes() for path in generated_files(mini_course)} == before, "nothing was written"


def test_a_notebook_that_is_not_json_is_named(mini_course):
    (path,) = (mini_course / "source").glob("*/*.ipynb")
    path.write_text('{"cells": [')
    with pytest.raises(SourceError, match=re.escape(str(path)) + ": not a valid notebook"):
        build(mini_course, log=lambda line: None)


def test_a_badly_named_lesson_folder_is_refused(mini_course):
    (mini_course / "source" / "01-mini").rename(mini_course / "source" / "Lezione 1")
    with pytest.raises(SourceError, match="a lesson folder is named NN-slug"):
        build(mini_course, log=lambda line: None)
