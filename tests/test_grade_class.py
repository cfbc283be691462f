"""`corso grade` on a class of generated submissions of lesson 01, good and bad: exact scores, clear lines.

Every bad case real students produce gets its own student; the whole class is graded once, in parallel,
and each test reads that one run. Expected scores are computed from the lesson's points.
"""

import csv
import hashlib
import io
import json
import os
import sqlite3
import time

import nbformat
import pytest
from project import ROOT, sandbox_processes
from submissions import auto_points, exercises, filled_release

from corso.course import GradingCourse
from corso.grading import grade_class
from corso.grading.report import summary
from corso.grading.verdict import make_reference
from corso.lessons import Lesson

pytestmark = pytest.mark.slow

LESSON = Lesson(ROOT, "01-tensors")
POINTS = auto_points(LESSON)
EXERCISES = exercises(LESSON)
FIRST, SECOND, *_, LAST = EXERCISES  # answer grade ids in notebook order
FULL = sum(POINTS.values())
TIMEOUT = 30  # seconds per cell in this run: the infinite loop costs exactly this much
STUBBORN_LOOP = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n" \
                "        pass"


def without(*answer_ids):
    """The full score less the points of the tests of these exercises."""
    return FULL - sum(POINTS[test] for answer in answer_ids for test in EXERCISES[answer])


def solved(folder, name, language="it", wrong=(), edit=None):
    """A notebook filled in from the release, optionally edited as a student would (``edit(cells)``)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    filled_release(LESSON, language, path, wrong=wrong)
    if edit:
        nb = nbformat.read(path, as_version=4)
        edit(nb.cells)
        nbformat.write(nb, path)
    return path


def cell(cells, cell_id):
    return next(c for c in cells if c.get("id") == cell_id)


def prepend(cell_id, code):
    def edit(cells):
        cell(cells, cell_id).source = code + "\n" + cell(cells, cell_id).source
    return edit


def replace_test_with_pass(cells):
    cell(cells, EXERCISES[FIRST][0]).source = "pass"


def delete_test(cells):
    cells.remove(cell(cells, EXERCISES[FIRST][0]))


def raise_points(cells):
    cell(cells, EXERCISES[FIRST][0]).metadata.nbgrader.points = 100


def move_test_before_answer(cells):
    test = cell(cells, EXERCISES[FIRST][0])
    cells.remove(test)
    cells.insert(cells.index(cell(cells, FIRST)), test)


def duplicate_test(cells):
    test = cell(cells, EXERCISES[SECOND][0])
    cells.insert(cells.index(test), nbformat.from_dict(json.loads(json.dumps(test))))


def markdown_to_code(cells):
    prose = next(c for c in cells if c.cell_type == "markdown" and "nbgrader" not in c.metadata)
    cells[cells.index(prose)] = nbformat.v4.new_code_cell(prose.source, id=prose.id)


def monkeypatch_tests(cells):
    answer = cell(cells, SECOND)
    answer.source = "import torch\ntorch.testing.assert_close = lambda *args, **kwargs: None\n" + answer.source


CLASS = {  # student -> (how the submission is made, expected auto score, words expected in its problems)
    "solved": (lambda d: solved(d, "solved.ipynb"), FULL, []),
    "english": (lambda d: solved(d, "english.ipynb", "en"), FULL, []),
    "unanswered": (lambda d: LESSON.release("it"), 0, ["not answered"]),
    "wrong": (lambda d: solved(d, "wrong.ipynb", wrong=[FIRST]), without(FIRST), []),
    "first_cell_raises": (lambda d: solved(d, "first_cell_raises.ipynb", edit=prepend("name", "1 / 0")),
                          FULL, ["id 'name'", "ZeroDivisionError"]),
    # In a middle exercise: an interrupted loop costs that exercise alone; a loop that survives the interrupt
    # gets its kernel killed, and a kernel that dies costs the exercises from there on, not those before.
    "infinite_loop": (lambda d: solved(d, "infinite_loop.ipynb", edit=prepend(SECOND, "while True:\n    pass")),
                      without(SECOND), [f"id '{SECOND}'", "time limit"]),
    "stubborn_loop": (lambda d: solved(d, "stubborn_loop.ipynb", edit=prepend(SECOND, STUBBORN_LOOP)),
                      without(*list(EXERCISES)[1:]), [f"id '{SECOND}'", "time limit", "kernel died"]),
    "sys_exit": (lambda d: solved(d, "sys_exit.ipynb", edit=prepend(SECOND, "import sys\nsys.exit()")),
                 without(SECOND), [f"id '{SECOND}'", "SystemExit"]),
    "os_exit": (lambda d: solved(d, "os_exit.ipynb", edit=prepend(SECOND, "import os\nos._exit(1)")),
                without(*list(EXERCISES)[1:]), ["kernel died", f"id '{SECOND}'"]),
    "test_edited": (lambda d: solved(d, "test_edited.ipynb", wrong=[FIRST], edit=replace_test_with_pass),
                    without(FIRST), []),
    "test_deleted": (lambda d: solved(d, "test_deleted.ipynb", edit=delete_test), without(FIRST), ["deleted"]),
    "points_raised": (lambda d: solved(d, "points_raised.ipynb", edit=raise_points), FULL, ["points changed"]),
    "reordered": (lambda d: solved(d, "reordered.ipynb", edit=move_test_before_answer), without(FIRST),
                  ["reordered"]),
    "duplicated": (lambda d: solved(d, "duplicated.ipynb", edit=duplicate_test), FULL, ["duplicated"]),
    "markdown_to_code": (lambda d: solved(d, "markdown_to_code.ipynb", edit=markdown_to_code), FULL, ["raised"]),
    # The guard sees the change before the next test: every test from there on scores 0.
    "monkeypatch": (lambda d: solved(d, "monkeypatch.ipynb", wrong=[SECOND], edit=monkeypatch_tests),
                    without(*list(EXERCISES)[1:]), ["REVIEW", f"id '{SECOND}'", "torch.testing.assert_close"]),
    "huge_output": (lambda d: solved(d, "huge_output.ipynb", edit=prepend("name", "print('x' * 100_000_000)")),
                    FULL, []),
    "not_json": (lambda d: _write(d / "not_json.ipynb", '{"cells": ['), 0, ["not valid JSON", "not graded"]),
    "not_a_notebook": (lambda d: _write(d / "not_a_notebook.ipynb", '{"hello": 1}'), 0, ["not a notebook"]),
    "empty": (lambda d: _write(d / "empty.ipynb", ""), 0, ["not a notebook", "empty"]),
    "wrong_name": (lambda d: solved(d, "wrong_name/tensors (1).ipynb"), FULL, ["named tensors (1).ipynb"]),
    "extra_files": (lambda d: (_write(d / "extra_files/notes.txt", "hi"), solved(d, "extra_files/tensors.ipynb")),
                    FULL, ["extra file extra_files/notes.txt ignored"]),
    "twice": (lambda d: (_aged(solved(d, "twice/old/tensors.ipynb", wrong=[FIRST, SECOND])),
                         solved(d, "twice/tensors.ipynb")), FULL, ["also handed in", "latest wins"]),
}


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _aged(path):
    day_ago = time.time() - 86400
    os.utime(path, (day_ago, day_ago))
    return path


def fingerprint(folder):
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    handed_in = folder / "submissions"
    handed_in.mkdir()
    for student, (make, _, _) in CLASS.items():
        made = make(handed_in)
        if made == LESSON.release("it"):
            (handed_in / f"{student}.ipynb").write_bytes(made.read_bytes())
    before = fingerprint(handed_in)
    workdir = folder / "grading"
    interrupted = _grade_until_interrupted(handed_in, workdir, after=3)
    left = sandbox_processes()
    report = grade_class(ROOT, LESSON, handed_in, workdir, jobs=2, timeout=TIMEOUT)
    return report, {s.student: s for s in report.submissions}, handed_in, before, workdir, interrupted, left


def _grade_until_interrupted(handed_in, workdir, after):
    """Start grading and interrupt it (as Ctrl-C would) once ``after`` submissions are recorded."""
    class Interrupting:
        def __init__(self, total):
            self.done = 0

        def update(self, n):
            self.done += n
            if self.done >= after:
                raise KeyboardInterrupt

        def close(self):
            pass
    with pytest.raises(KeyboardInterrupt):
        grade_class(ROOT, LESSON, handed_in, workdir, jobs=2, timeout=TIMEOUT, progress=Interrupting)
    return after


@pytest.mark.parametrize("student", CLASS)
def test_each_submission_gets_its_exact_score_and_a_clear_line(graded, student):
    report, by_student, *_ = graded
    submission = by_student[student]
    _, expected, words = CLASS[student]
    auto = sum(submission.scores.get(grade_id) or 0 for grade_id in POINTS)
    assert auto == expected, summary(report)
    problems = "; ".join(submission.problems)
    for word in words:
        assert word in problems, f"{student}: {word!r} not in {problems!r}"


def test_languages_are_reported(graded):
    _, by_student, *_ = graded
    assert (by_student["solved"].language, by_student["english"].language) == ("it", "en")


def test_nothing_handed_in_was_modified(graded):
    _, _, handed_in, before, *_ = graded
    assert fingerprint(handed_in) == before


def test_csv_has_one_column_per_graded_cell_and_the_total(graded):
    report, by_student, *_ = graded
    rows = list(csv.reader(io.StringIO(report.csv.read_text())))
    header = rows[0]
    assert header[:3] == ["student", "name", "language"] and header[-3:] == ["total", "sandboxed", "problems"]
    assert header[-5:-3] == ["late (hours)", "late penalty"]
    assert set(POINTS) <= set(header[3:-5]) and len(header[3:-5]) == len(report.max_points)
    assert len(rows) == 1 + len(CLASS)
    solved_row = next(row for row in rows if row[0] == "solved")
    assert solved_row[-3:-1] == [str(FULL), "yes"]


def test_the_grading_folder_is_the_instructors_alone(graded):
    report, *_, workdir, _, _ = graded
    assert workdir.stat().st_mode & 0o777 == 0o700
    assert report.csv.stat().st_mode & 0o077 == 0


def test_resumed_run_counts_nobody_twice(graded):
    report, _, _, _, workdir, interrupted, _ = graded
    assert report.resumed >= interrupted
    with sqlite3.connect(workdir / "gradebook.db") as db:
        rows = db.execute("SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id").fetchall()
    graded_students = {s.student for s in report.submissions if s.scores}
    assert dict(rows) == dict.fromkeys(graded_students, 1)


def test_kernels_forked_from_zygotes_grade_as_kernels_started_alone(graded, tmp_path):
    """The same submissions, graded with the pool of zygotes and without it: the same CSV, byte for byte, and
    the same feedback pages."""
    _, _, handed_in, *_ = graded
    some = tmp_path / "some"
    some.mkdir()
    for student in ("solved", "english", "wrong", "unanswered", "os_exit"):
        (some / f"{student}.ipynb").write_bytes((handed_in / f"{student}.ipynb").read_bytes())
    runs = {pool: grade_class(ROOT, LESSON, some, tmp_path / f"pool-{pool}", jobs=2, timeout=TIMEOUT, pool=pool)
            for pool in (True, False)}
    assert runs[True].csv.read_text() == runs[False].csv.read_text()
    for student in ("solved", "english", "wrong", "unanswered", "os_exit"):
        pages = [(tmp_path / f"pool-{pool}" / "feedback" / student / LESSON.id / f"{LESSON.slug}.html").read_bytes()
                 for pool in (True, False)]
        assert pages[0] == pages[1], student


def test_an_interrupted_run_leaves_no_process(graded):
    assert graded[-1] == [], f"processes of the sandbox users left after Ctrl-C: {graded[-1]}"


def test_parallel_gradebook_matches_plain_sequential_nbgrader(graded, tmp_path):
    _, by_student, *_ = graded
    course = GradingCourse(ROOT, tmp_path / "sequential", timeout=TIMEOUT)
    course.add_lesson(LESSON)
    make_reference(course, LESSON)
    for student in ("solved", "wrong", "os_exit"):
        submission = by_student[student]
        course.submit(LESSON, student, submission.notebook, submission.modified)
        course.autograde(LESSON, student)
        assert course.scores(LESSON, student) == submission.scores, student
