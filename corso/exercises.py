"""A lesson's exercises, and the words that tell a student where each one stands.

Shared by the grader's feedback page and class report (``corso.grading.outcomes``) and by the student's own
check (``corso.check``: Validate, ``corso check``), so a student reads the same exercise titles and the same
words before handing in and in the feedback. An exercise is an answer cell and the graded cells after it (its
test cells, or the written answer itself); its title is the heading before it in the notebook's language. This
module ships with the student edition: it imports nothing from the grading side.
"""

import html
import re

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


def first_error(cell):
    """The cell's first error output, or None."""
    return next((output for output in cell.get("outputs", []) if output.output_type == "error"), None)
