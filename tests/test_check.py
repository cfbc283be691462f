"""The student's check (``corso.check``: Validate, ``corso check``, ``corso-check``): each exercise of lesson 01
where it stands, in the notebook's language only, and an exit status a script can rely on.

The expected titles come from the lesson's source, the expected messages from ``corso.checks`` itself (the same
comparison on the same values), the words from ``corso.exercises.LABELS``: nothing is written twice here.
"""

import nbformat
import pytest
import torch
from project import ROOT
from submissions import filled_release

from corso import check, checks, edition
from corso.cli import main
from corso.exercises import AWAITING, FAILED, KERNEL_DIED, LABELS, NOT_ANSWERED, PASSED, exercises, split_message
from corso.lessons import Lesson, nbgrader_meta, read_source

LESSON = Lesson(ROOT, "01-tensors")
WRONG_DTYPE = ('def make_grid(rows, cols):\n'
               '    return torch.arange(rows * cols, dtype=torch.int64).view(rows, cols)')


def titles(language):
    return [title for _, title, _ in exercises(read_source(LESSON), language)]


def edited(path, answers=None, tests=None):
    """The notebook at ``path`` with the given answer cells' and test cells' source replaced ({grade id: code})."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in (answers or {}):
            cell.source = answers[grade_id]
        if grade_id in (tests or {}):
            cell.source = tests[grade_id]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("check")


@pytest.mark.slow
def test_untouched_release_is_not_answered_yet(folder, capsys):
    untouched = folder / "untouched.ipynb"
    untouched.write_bytes(LESSON.release("it").read_bytes())
    report = check.self_check(ROOT, untouched)
    assert report.language == "it" and not report.passed
    assert [exercise.title for exercise in report.exercises] == titles("it")
    assert {exercise.status for exercise in report.exercises} == {NOT_ANSWERED}
    assert main(["--root", str(ROOT), "check", str(untouched)]) == 1
    out = capsys.readouterr().out
    assert out.count(LABELS["it"][NOT_ANSWERED]) == len(titles("it"))
    assert check.WORDS["it"]["hidden"] in out and "NotImplementedError" not in out and "Traceback" not in out


@pytest.mark.slow
def test_solved_notebook_passes_and_exits_zero(folder, capsys):
    solved = filled_release(LESSON, "en", folder / "solved.ipynb")
    report = check.self_check(ROOT, solved)
    assert report.passed and report.language == "en"
    assert [exercise.status for exercise in report.exercises] == [PASSED] * (len(titles("en")) - 1) + [AWAITING]
    assert main(["--root", str(ROOT), "check", str(solved)]) == 0
    out = capsys.readouterr().out
    assert check.WORDS["en"]["all"] in out and LABELS["en"][AWAITING] in out


@pytest.mark.slow
def test_wrong_dtype_fails_with_the_message_in_one_language_and_an_edited_test_is_noted(folder):
    mixed = filled_release(LESSON, "it", folder / "mixed.ipynb")
    auto = exercises_by_grade_id()
    unanswered, edited_test = list(auto)[1], auto[list(auto)[2]][0]
    release = {nbgrader_meta(cell).get("grade_id"): cell.source
               for cell in nbformat.read(LESSON.release("it"), as_version=4).cells}
    edited(mixed, answers={"make_grid": WRONG_DTYPE, unanswered: release[unanswered]},
           tests={edited_test: "pass  # no more tests"})
    report = check.self_check(ROOT, mixed)
    first, second = report.exercises[:2]
    expected = checks.message("make_grid(3, 4)", checks.compare(
        checks.observe(torch.arange(12, dtype=torch.int64).view(3, 4)), checks.observe(torch.arange(12.0).view(3, 4))))
    assert (first.status, first.message) == (FAILED, split_message(expected, "it"))
    assert split_message(expected, "en") not in first.message and "int64" in first.message
    assert first.tests and "make_grid" in first.tests[0]
    assert second.status == NOT_ANSWERED and second.message == ""
    assert len(report.notes) == 1 and "pass  # no more tests" in report.notes[0]
    assert not report.passed
    page = check.as_html(report)
    assert "<details>" in page and check.WORDS["it"]["hidden"] in page and 'lang="it"' in page


def exercises_by_grade_id():
    """{answer grade id: [test grade ids]} of the lesson's auto-graded exercises, in order."""
    return {grade_id: tests for grade_id, _, tests in exercises(read_source(LESSON), "en") if grade_id != tests[0]}


@pytest.mark.slow
def test_a_kernel_that_dies_is_reported_for_every_exercise_it_stopped(folder):
    crash = filled_release(LESSON, "en", folder / "crash.ipynb")
    edited(crash, answers={"make_grid": "import os\nos._exit(1)"})
    report = check.self_check(ROOT, crash)
    auto = [exercise for exercise in report.exercises if exercise.tests]
    assert {exercise.status for exercise in auto} == {KERNEL_DIED}, report
    assert all(" / " not in exercise.message and exercise.message for exercise in auto)


def test_page_escapes_what_the_notebook_holds():
    report = check.Report("x.ipynb", "en", (check.Exercise("<img src=x onerror=alert(1)>", FAILED,
                                                           "<script>alert(2)</script>", ("<b>test</b>",)),))
    page = check.as_html(report)
    assert "<img" not in page and "<script>" not in page and "<b>test" not in page
    assert "&lt;script&gt;" in page


def test_not_a_notebook_is_named_and_exits_two(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    with pytest.raises(check.CheckError, match="broken.ipynb"):
        check.self_check(ROOT, broken)
    assert check.main([str(broken), "--root", str(ROOT)]) == 2
    assert "broken.ipynb" in capsys.readouterr().err
    assert broken.read_text() == "{ not json"


def test_validate_button_is_built_from_its_source():
    """The built lab extension the edition ships records the hash of the source it was built from."""
    recorded = (edition.VALIDATE_BUILD / "source.sha256").read_text().strip()
    assert recorded == edition.validate_button_source_hash(), (
        "corso/student/validate/ changed since the Validate button was built: run tools/build-validate-button")
    assert list((edition.VALIDATE_BUILD / "static").glob("remoteEntry.*.js"))
