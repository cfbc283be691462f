"""Outcomes: an autograded notebook and its scores -> one outcome per exercise, in the student's language.

The one classifier behind the student's feedback page and the instructor's class report. An exercise is an
answer cell and the graded test cells after it (or a written answer, graded by the instructor); its title is
the heading the lesson's source gives it in that language (the trusted source, never the submission). A test
cell's status and message are the grader's verdict (``corso.verdicts`` in the notebook's metadata, written by
``execute.GuardedExecute``, which drops whatever the submission carried there): passed, failed (with the grader's
message), not answered (the answer cell is still the release's), timed out, kernel died, or review (the test ran
in a changed kernel). Nothing the grading kernel printed or raised is read here. An answer cell stopped at the
time limit (or where the kernel died) gives its exercise that status.
"""

from dataclasses import dataclass, field

from nbgrader.utils import determine_grade

from corso.exercises import (
    AWAITING,
    FAILED,
    GRADED,
    KERNEL_DIED,
    NOT_ANSWERED,
    PASSED,
    TIMED_OUT,
    exercises,
    notebook_language,
    split_message,
)


@dataclass
class Outcome:
    """One exercise of one submission."""

    grade_id: str  # the answer cell's grade id
    title: str
    score: float | None  # None while a written answer awaits the instructor
    max_score: float
    status: str
    message: str = ""  # why it failed, in the submission's language
    comment: str = ""  # the instructor's comment
    tests: list = field(default_factory=list)  # grade ids of the graded cells (test cells, or the written answer)


def verdicts(graded_nb):
    """{grade id: {"status", "message"}}: the grader's verdicts on a graded notebook's cells."""
    return graded_nb.metadata.get("corso", {}).get("verdicts", {})


def classify(graded_nb, source_nb, scores, comments=None, language=None):
    """The outcome of each exercise of ``graded_nb`` (an autograded notebook).

    ``scores``: {grade id: score, None while a written answer awaits the instructor} (the gradebook's);
    ``comments``: {grade id: the instructor's comment}; ``language``: default, the notebook's own.
    """
    language = language or notebook_language(graded_nb)
    comments = comments or {}
    judged = verdicts(graded_nb)
    graded = {}  # grade id -> the first cell that carries it (grading kept the first of any duplicates)
    for cell in graded_nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id"):
            graded.setdefault(cell.metadata["nbgrader"]["grade_id"], cell)
    points = {cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"]["points"])
              for cell in source_nb.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    outcomes = []
    for grade_id, title, tests in exercises(source_nb, language):
        results = [_verdict(graded.get(test), judged.get(test), scores.get(test), points[test], language)
                   for test in tests]
        stopped = _stopped(judged.get(grade_id), language)
        failing = stopped or next((result for result in results if result[0] not in (PASSED, GRADED)), results[0])
        earned = [scores.get(test, 0) for test in tests]
        total = None if None in earned else sum(earned)
        outcomes.append(Outcome(grade_id, title, total, sum(points[test] for test in tests), failing[0],
                                failing[1], comments.get(grade_id) or "", tests))
    return outcomes


def _stopped(answer_verdict, language):
    """(status, message) when the answer cell itself ran past the time limit or the kernel died in it (its
    tests then fail for that reason), else None."""
    if answer_verdict and answer_verdict.get("status") in (TIMED_OUT, KERNEL_DIED):
        return answer_verdict["status"], split_message(answer_verdict.get("message", ""), language)
    return None


def _verdict(cell, judged, score, max_score, language):
    """(status, message) of one graded cell; a cell missing from the submission counts as not answered."""
    if cell is None:
        return NOT_ANSWERED, ""
    if cell.cell_type == "markdown":
        if determine_grade(cell)[0] == 0 and score == 0:  # nbgrader's rule: the answer is still the stub
            return NOT_ANSWERED, ""
        return (AWAITING if score is None else GRADED), ""
    if judged is None:  # never judged (the grading stopped first): only the score speaks
        return (PASSED, "") if score is not None and score >= max_score else (FAILED, "")
    status = judged.get("status", FAILED)
    if status == PASSED and (score is None or score < max_score):
        status = FAILED  # the gradebook has the last word on points
    return status, split_message(judged.get("message", ""), language)


def number(value):
    """A score as the reports print it: whole numbers without decimals, others to two places; None as blank."""
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 2)
