"""A student's self-check: run the notebook as the grader will and list the tests that fail.

nbgrader's ``validate`` prints the failing tests but always exits 0; ``corso check`` exits 1 when a test
fails, so scripts (and students) can rely on it. The messages are the tests' own, in both languages.
"""

import html
import re
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute
from nbgrader.validator import Validator
from traitlets import List

from corso.course import load_config
from corso.grading.execute import ExecuteSurvivingCrashes


class CheckError(Exception):
    """The file to check is missing or is not a notebook; the message names it."""


class SurvivingValidator(Validator):
    """nbgrader's Validator with the Execute that survives a dead kernel (its preprocessors are a class
    attribute, not configuration)."""

    preprocessors = List([ExecuteSurvivingCrashes if step is Execute else step
                          for step in Validator.class_traits()["preprocessors"].default()])


def self_check(root, notebook):
    """The problems found in ``notebook``: one line each (empty when every test passes)."""
    _readable_notebook(Path(notebook))
    results = SurvivingValidator(config=load_config(root)).validate(str(notebook))
    problems = [f"cell changed from {cell['old_type']} to {cell['new_type']}: {_first_line(cell['source'])}"
                for cell in results.get("type_changed", [])]
    problems += [f"a graded test cell was edited: {_first_line(cell['source'])}" for cell in results.get("changed", [])]
    problems += [f"{_first_line(cell['source'])}\n    {_last_line(cell['error'])}"
                 for cell in results.get("failed", [])]
    return problems


def _readable_notebook(path):
    if not path.is_file():
        raise CheckError(f"{path}: no such notebook")
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # nbformat and decoding raise several unrelated types
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise CheckError(f"{path}: not a notebook ({first})") from None


def describe(notebook, problems):
    if not problems:
        return f"{notebook}: tutti i test passano / all tests pass"
    return "\n".join([f"{notebook}: {len(problems)} test non superati / failing tests:",
                      *(f"  - {problem}" for problem in problems)])


def _first_line(source):
    return source.strip().splitlines()[0] if source.strip() else "(empty cell)"


def _last_line(error):
    text = html.unescape(re.sub(r"<[^>]+>", "", error))  # nbgrader renders the traceback's colours as HTML
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "error"
