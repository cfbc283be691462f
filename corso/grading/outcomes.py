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

import html
import re
from dataclasses import dataclass, field

from nbgrader.utils import determine_grade

from corso.language import LANGUAGES, cell_language

PASSED, FAILED, NOT_ANSWERED, TIMED_OUT, REVIEW, KERNEL_DIED = (
    "passed", "failed", "not answered", "timed out", "review", "kernel died")
AWAITING, GRADED = "awaiting instructor", "graded by instructor"

# The words of the feedback page, in each language of the course.
LABELS = {
    "it": {PASSED: "superato", FAILED: "non superato", NOT_ANSWERED: "senza risposta",
           TIMED_OUT: "tempo scaduto", REVIEW: "da rivedere", KERNEL_DIED: "kernel interrotto",
           AWAITING: "in attesa del docente", GRADED: "valutata dal docente",
           "score": "Punteggio", "points": "punti", "exercise": "Esercizio", "result": "Esito",
           "comment": "Commento del docente", "test": "Test", "notebook": "Il tuo notebook",
           "late": "Penalità per consegna in ritardo"},
    "en": {PASSED: "passed", FAILED: "failed", NOT_ANSWERED: "not answered",
           TIMED_OUT: "timed out", REVIEW: "to be reviewed", KERNEL_DIED: "kernel died",
           AWAITING: "awaiting the instructor", GRADED: "graded by the instructor",
           "score": "Score", "points": "points", "exercise": "Exercise", "result": "Result",
           "comment": "Instructor's comment", "test": "Test", "notebook": "Your notebook",
           "late": "Late submission penalty"},
}


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


def first_error(cell):
    """The cell's first error output, or None."""
    return next((output for output in cell.get("outputs", []) if output.output_type == "error"), None)


def verdicts(graded_nb):
    """{grade id: {"status", "message"}}: the grader's verdicts on a graded notebook's cells."""
    return graded_nb.metadata.get("corso", {}).get("verdicts", {})


def split_message(text, language):
    """The part of a bilingual message (``italiano / English``, the course's convention) in ``language``;
    a message that is not split evenly in two is returned whole."""
    parts = str(text).split(" / ")
    if len(parts) % 2:
        return str(text).strip()
    half = len(parts) // 2
    return " / ".join(parts[:half] if language == "it" else parts[half:]).strip()


def notebook_language(nb):
    """The language of a notebook's prose (the one most of its tagged cells carry; Italian on a tie)."""
    counts = {language: 0 for language in LANGUAGES}
    for cell in nb.cells:
        language = cell_language(cell)
        if language:
            counts[language] += 1
    return max(LANGUAGES, key=lambda language: counts[language])


def exercises(source_nb, language):
    """[(answer grade id, title, [graded cell ids])] in the lesson's order, from the lesson's trusted source."""
    found, heading = [], {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        tagged = cell_language(cell)
        if cell.cell_type == "markdown" and tagged and cell.source.lstrip().startswith("#"):
            heading[tagged] = heading_text(cell.source)
        if meta.get("solution"):
            found.append((meta["grade_id"], heading.get(language, meta["grade_id"]),
                          [meta["grade_id"]] if meta.get("grade") else []))
        elif meta.get("grade") and found:
            found[-1][2].append(meta["grade_id"])
    return [exercise for exercise in found if exercise[2]]


def heading_text(markdown):
    """A heading without its ``#`` marks and its closing parenthesis (the points, which the pages show)."""
    first = markdown.strip().split("\n")[0].lstrip("#").strip()
    return re.sub(r"\s*\([^()]*\)\s*$", "", first) or first


def lesson_title(source_nb, language):
    """The lesson's first heading in ``language``."""
    for cell in source_nb.cells:
        if cell.cell_type == "markdown" and cell_language(cell) == language and cell.source.lstrip().startswith("#"):
            return heading_text(cell.source)
    return ""


def title_html(title):
    """A title, escaped, with its `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(title))


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
