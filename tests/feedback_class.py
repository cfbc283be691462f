"""A small class of lesson 01, graded once by ``corso grade``'s pipeline, for the feedback and class-report tests.

Each student is made the way real ones are (from the release, answers filled in or not) and stands for one
outcome; the tests compute what each page must say from this table and the lesson, never from typed values.
"""

from dataclasses import dataclass

import nbformat
from project import ROOT
from submissions import auto_points, exercises, filled_release

from corso.grading import grade_class
from corso.lessons import Lesson

LESSON = Lesson(ROOT, "01-tensors")
EXERCISES = exercises(LESSON)  # {answer grade id: its test grade ids}, in notebook order
FIRST, SECOND, *_, LAST = EXERCISES
GRADED_CELLS = [cell.metadata["nbgrader"]["grade_id"] for cell in nbformat.read(LESSON.source, as_version=4).cells
                if cell.metadata.get("nbgrader", {}).get("grade")]
WRITTEN = [grade_id for grade_id in GRADED_CELLS if grade_id not in auto_points(LESSON)]
TIMEOUT = 10  # seconds per cell: the infinite loop costs this much
HOSTILE = "<script>alert('it')</script> / <script>alert('en')</script>"


@dataclass
class Student:
    language: str
    wrong: tuple = ()  # exercises answered with `pass` (returns None)
    replace: tuple = ()  # (answer grade id, code in place of the answer)
    prepend: tuple = ()  # (answer grade id, code put before the answer)
    expected: dict = None  # {answer grade id: status} where it is not "passed"


def _stub(grade_id):
    cells = nbformat.read(LESSON.release("it"), as_version=4).cells
    return next(cell.source for cell in cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


CLASS = {
    "rossi": Student("it", wrong=(FIRST,), replace=((LAST, _stub(LAST)),),
                     expected={FIRST: "failed", LAST: "not answered"}),
    "smith": Student("en", replace=((SECOND, f"def {SECOND}(array):\n    raise ValueError({HOSTILE!r})"),),
                     expected={SECOND: "failed"}),
    "loop": Student("it", prepend=((LAST, "while True:\n    pass"),), expected={LAST: "timed out"}),
    # The guard sees the change before the next test: every test from there on is to be reviewed.
    "patcher": Student("en", prepend=((SECOND, "import torch\ntorch.testing.assert_close = lambda *a, **k: None"),),
                       expected=dict.fromkeys(list(EXERCISES)[1:], "review")),
}


def make_submission(folder, student, spec):
    path = filled_release(LESSON, spec.language, folder / f"{student}.ipynb", wrong=spec.wrong)
    nb = nbformat.read(path, as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    for grade_id, code in spec.replace:
        answers[grade_id].source = code
    for grade_id, code in spec.prepend:
        answers[grade_id].source = code + "\n" + answers[grade_id].source
    nbformat.write(nb, path)
    return path


def grade_feedback_class(folder):
    """(report, workdir) of the class above, graded by grade_class as ``corso grade`` grades."""
    handed_in = folder / "submissions"
    handed_in.mkdir()
    for student, spec in CLASS.items():
        make_submission(handed_in, student, spec)
    workdir = folder / "grading"
    return grade_class(ROOT, LESSON, handed_in, workdir, jobs=2, timeout=TIMEOUT), workdir
