"""A student's check: run the notebook as the grader will, and say where each exercise stands.

One list, in the notebook's language, with the feedback page's titles and words (``corso.exercises``): each
exercise passed, failed (with its test's message in that language only), not answered yet (its stub still
raises ``NotImplementedError``), stopped (time limit, dead kernel), or a written answer that the instructor
will grade; then a line saying that hidden tests will also be run. The *Validate* button of the student
edition shows it as HTML (``as_html``, served by ``corso_student``); the terminal prints it as text (``corso
check NOTEBOOK`` in the course, ``corso-check NOTEBOOK`` in the student edition) and exits 1 unless every
exercise passed or awaits the instructor (nbgrader's ``validate`` always exits 0). Only the visible tests run
here, in the student's own kernel, without a sandbox. This module ships with the student edition.
"""

import argparse
import html
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import Execute
from nbgrader.validator import Validator
from traitlets import List
from traitlets.config import Config, PyFileConfigLoader

from corso.exercises import (
    AWAITING,
    FAILED,
    KERNEL_DIED,
    LABELS,
    NOT_ANSWERED,
    PASSED,
    TIMED_OUT,
    exercises,
    first_error,
    notebook_language,
    split_message,
    title_html,
)
from corso.running import KERNEL_DIED_CELL, TIMED_OUT_CELL, ExecuteSurvivingCrashes

STOPPED = {TIMED_OUT_CELL.ename: TIMED_OUT, KERNEL_DIED_CELL.ename: KERNEL_DIED}
DONE = (PASSED, AWAITING)  # what needs nothing more from the student

WORDS = {
    "it": {"title": "Verifica del notebook", "summary": "Esercizi superati: {passed} su {total}.",
           "hidden": "Alla consegna il docente eseguirà anche altri test, nascosti: superare questi non garantisce "
                     "il punteggio pieno.",
           "test": "Mostra il test", "all": "Tutti gli esercizi sono a posto.",
           "changed": "Hai modificato il test «{line}»: nella valutazione vale l'originale.",
           "type_changed": "La cella «{line}» era di tipo {old} ed è diventata {new}: riportala com'era."},
    "en": {"title": "Notebook check", "summary": "Exercises passed: {passed} of {total}.",
           "hidden": "When you hand it in, the instructor also runs other, hidden tests: passing these does not "
                     "guarantee full marks.",
           "test": "Show the test", "all": "Every exercise is done.",
           "changed": "You edited the test “{line}”: grading uses the original.",
           "type_changed": "The cell “{line}” was a {old} cell and is now a {new} cell: change it back."},
}


class CheckError(Exception):
    """The file to check is missing or is not a notebook; the message names it."""


@dataclass(frozen=True)
class Exercise:
    title: str
    status: str
    message: str = ""  # why it failed, in the notebook's language
    tests: tuple = ()  # its test cells' source, as the notebook has them


@dataclass(frozen=True)
class Report:
    notebook: str
    language: str
    exercises: tuple
    notes: tuple = ()  # graded cells the student changed, in the notebook's language

    @property
    def passed(self):
        return not self.notes and all(exercise.status in DONE for exercise in self.exercises)


class SurvivingValidator(Validator):
    """nbgrader's Validator with the Execute that survives a dead kernel (its preprocessors are a class
    attribute, not configuration)."""

    preprocessors = List([ExecuteSurvivingCrashes if step is Execute else step
                          for step in Validator.class_traits()["preprocessors"].default()])

    def notes(self, nb, language):
        """The graded cells whose type or (for a test) source the student changed, in ``language``."""
        words = WORDS[language]
        notes = [words["type_changed"].format(line=_first_line(cell.source), old=cell.cell_type,
                                              new=cell.metadata.nbgrader.cell_type)
                 for cell in self._get_type_changed_cells(nb)]
        return notes + [words["changed"].format(line=_first_line(cell.source)) for cell in self._get_changed_cells(nb)]

    def run(self, path):
        """The notebook at ``path`` after every cell ran, from a new kernel in its folder."""
        nb = nbformat.read(path, as_version=4)
        with utils.chdir(str(path.parent)):
            return self._preprocess(nb)


def self_check(root, notebook):
    """The ``Report`` on ``notebook``, run with the settings of ``root``'s ``nbgrader_config.py``."""
    path = Path(notebook).resolve()
    language = notebook_language(_readable_notebook(path))
    validator = SurvivingValidator(config=_config(root))
    ran = validator.run(path)
    notes = tuple(validator.notes(ran, language))
    return Report(Path(notebook).name, language, tuple(_exercises(ran, language)), notes)


def _config(root):
    if not (Path(root) / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _readable_notebook(path):
    if not path.is_file():
        raise CheckError(f"{path}: no such notebook / notebook inesistente")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat and decoding raise several unrelated types
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise CheckError(f"{path}: not a notebook / non è un notebook ({first})") from None
    return nb


def _exercises(nb, language):
    cells = {}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id"):
            cells.setdefault(cell.metadata["nbgrader"]["grade_id"], cell)
    for grade_id, title, tests in exercises(nb, language):
        answer = cells[grade_id]
        if answer.cell_type == "markdown":  # a written answer: nbgrader's rule, unchanged stub = no answer
            yield Exercise(title, NOT_ANSWERED if utils.determine_grade(answer)[0] == 0 else AWAITING)
        else:
            test_cells = [cells[test] for test in tests]
            status, message = _status(answer, test_cells, language)
            yield Exercise(title, status, message, tuple(cell.source for cell in test_cells))


def _status(answer, tests, language):
    """(status, message) of a code exercise from the errors its answer and test cells ended with."""
    errors = [error for error in map(first_error, [answer, *tests]) if error is not None]
    stopped = next((error for error in errors if error.ename in STOPPED), None)
    if stopped:
        return STOPPED[stopped.ename], split_message(stopped.evalue, language)
    if any(error.ename == "NotImplementedError" for error in errors):
        return NOT_ANSWERED, ""
    failed = next((error for cell in tests if (error := first_error(cell))), None)
    if failed is None:
        return PASSED, ""
    if failed.ename == "AssertionError":  # a check's message, in the course's two languages
        return FAILED, split_message(failed.evalue, language)
    return FAILED, f"{failed.ename}: {failed.evalue}"


def _first_line(source):
    return source.strip().splitlines()[0][:80] if source.strip() else "…"


def _summary(report):
    passed = sum(exercise.status == PASSED for exercise in report.exercises)
    graded = sum(exercise.status != AWAITING for exercise in report.exercises)
    return WORDS[report.language]["summary"].format(passed=passed, total=graded)


def as_text(report):
    """The report for a terminal."""
    words, labels = WORDS[report.language], LABELS[report.language]
    lines = [f"{report.notebook}: {_summary(report)}", *(f"  ! {note}" for note in report.notes)]
    width = max(len(labels[exercise.status]) for exercise in report.exercises) if report.exercises else 0
    for exercise in report.exercises:
        lines.append(f"  {labels[exercise.status]:<{width}}  {exercise.title}")
        if exercise.message:
            lines.append(textwrap.fill(exercise.message, 100, initial_indent=" " * (width + 4),
                                       subsequent_indent=" " * (width + 4)))
    if report.passed:
        lines.append(words["all"])
    lines.append(words["hidden"])
    return "\n".join(lines)


def as_html(report):
    """The report as an HTML fragment (every piece of the notebook escaped), for the Validate dialog."""
    words, labels = WORDS[report.language], LABELS[report.language]
    items = []
    for exercise in report.exercises:
        status = exercise.status.replace(" ", "-")
        parts = [f'<span class="corso-check-status">{html.escape(labels[exercise.status])}</span> '
                 f'<span class="corso-check-title">{title_html(exercise.title)}</span>']
        if exercise.message:
            parts.append(f'<pre class="corso-check-message">{html.escape(exercise.message)}</pre>')
        if exercise.tests and exercise.status != PASSED:
            source = "\n\n".join(html.escape(test) for test in exercise.tests)
            parts.append(f'<details><summary>{words["test"]}</summary><pre>{source}</pre></details>')
        items.append(f'<li class="corso-check-{status}">{"".join(parts)}</li>')
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.notes)
    return "".join([
        f'<div class="corso-check" lang="{report.language}">',
        f'<p class="corso-check-summary">{html.escape(_summary(report))}</p>',
        f'<ul class="corso-check-notes">{notes}</ul>' if notes else "",
        f'<ol class="corso-check-list">{"".join(items)}</ol>',
        f'<p class="corso-check-hidden">{html.escape(words["hidden"])}</p>',
        "</div>"])


def run(root, notebook):
    """Check ``notebook``, print the report; 0 when every exercise is done, 1 otherwise."""
    report = self_check(root, notebook)
    print(as_text(report))
    return 0 if report.passed else 1


def main(argv=None):
    """``corso-check NOTEBOOK``: the student edition's terminal check (run from the edition's folder)."""
    parser = argparse.ArgumentParser(prog="corso-check", description=(
        "Verifica un notebook come il pulsante Validate / Check a notebook as the Validate button does "
        "(exit 0: every exercise done; 1: not yet; 2: not a notebook)"))
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--root", type=Path, default=Path("."), help="the folder with nbgrader_config.py")
    args = parser.parse_args(argv)
    try:
        return run(args.root, args.notebook)
    except CheckError as error:
        print(error, file=sys.stderr)
        return 2
