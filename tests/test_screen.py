"""Inspecting a submission: what is scanned is the student's code, decided by the release, never by the
submission's metadata; the course's own cells raise no alarm."""

import nbformat
import pytest
from project import ROOT

from corso.grading.collect import Submission
from corso.grading.screen import hints, screen
from corso.language import LANGUAGES
from corso.lessons import Lesson, find_lessons

LESSON = Lesson(ROOT, "01-tensors")
TAMPERING = "torch.testing.assert_close = lambda *a, **k: None"
# What a student may write into an answer cell's nbgrader metadata to pass it off as the course's.
DISGUISES = {"locked": {"locked": True},
             "locked test": {"locked": True, "grade": True, "solution": False, "points": 0},
             "no metadata": None}


def inspected(tmp_path, nb, release_nb):
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    submission = Submission("student", path)
    assert screen(submission, release_nb) is not None
    return submission.problems


@pytest.mark.parametrize("disguise", DISGUISES)
def test_an_answer_cell_is_scanned_whatever_its_metadata_says(tmp_path, disguise):
    release_nb = nbformat.read(LESSON.release("it"), as_version=4)
    nb = nbformat.read(LESSON.release("it"), as_version=4)
    index, answer = next((index, cell) for index, cell in enumerate(nb.cells)
                         if cell.metadata.get("nbgrader", {}).get("solution"))
    answer.source = TAMPERING
    if DISGUISES[disguise] is None:
        del answer.metadata["nbgrader"]
    else:
        answer.metadata.nbgrader.update(DISGUISES[disguise])
    problems = inspected(tmp_path, nb, release_nb)
    assert f"REVIEW cell {index} (id {answer.id!r}): rebinds torch.testing.assert_close" in problems, problems


def test_the_courses_own_code_is_not_scanned_wherever_it_stands(tmp_path):
    lesson = Lesson(ROOT, "02-autograd")  # its setup cell imports IPython's display: an alarm in a student's cell
    release_nb = nbformat.read(lesson.release("it"), as_version=4)
    nb = nbformat.read(lesson.release("en"), as_version=4)
    setup = next(cell for cell in nb.cells if cell.get("id") == "setup")
    assert hints(setup.source)
    nb.cells.append(nbformat.v4.new_code_cell(setup.source))
    assert [line for line in inspected(tmp_path, nb, release_nb) if "REVIEW" in line] == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("lesson", find_lessons(ROOT), ids=lambda lesson: lesson.id)
def test_the_untouched_release_raises_no_review(tmp_path, lesson, language):
    release_nb = nbformat.read(lesson.release("it"), as_version=4)
    submission = Submission("student", lesson.release(language))
    screen(submission, release_nb)
    assert [line for line in submission.problems if "REVIEW" in line] == []
