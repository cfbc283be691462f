"""Exercises checked on their own, for every lesson.

1. The release notebook, executed as is (no answer written, one kernel, errors allowed, in the lesson's release
   folder), runs every cell outside the exercises without error: the lesson's own flow never depends on an
   answer. An exercise's cells are its answer cell and the cells after it up to its last graded test cell (the
   "try it" cells call the student's function, so they fail with the stub, like the tests). The Italian and
   English releases share every untagged code cell (checked here); the only code that differs is a figure's
   language-tagged pair of calls, which pass the same drawing function each language's words, so executing one
   release executes both.
2. The visible tests reject wrong answers: ``tests/wrong_answers/NN-slug.py`` lists, for every auto-graded
   exercise, plausible wrong answers (``WRONG_ANSWERS = {answer grade id: [(why, source), ...]}``). In one kernel
   per lesson, the release is executed in order; at each exercise every wrong source is run in place of the answer
   cell and then the release's graded test cells (the visible tests only): they must raise. Then the reference
   solution (from ``source/``, markers removed) is run in its place, and the same cells must pass, so the check
   fails both ways.
"""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from project import ROOT
from submissions import answers, exercises

from corso.language import cell_language
from corso.lessons import find_lessons, nbgrader_meta

pytestmark = pytest.mark.slow

LESSONS = find_lessons(ROOT)
WRONG_ANSWERS = Path(__file__).resolve().parent / "wrong_answers"
TIMEOUT = 300


def release(lesson, language="it"):
    return nbformat.read(lesson.release(language), as_version=4)


def exercise_cells(nb):
    """Indices of the cells that belong to an auto-graded or written exercise: answer cell .. last graded cell."""
    inside, current = set(), None
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            current = [index]
            inside.add(index)
        elif current is not None:
            current.append(index)
            if meta.get("grade"):
                inside.update(current)
    return inside


def error_of(cell):
    errors = [output for output in cell.outputs if output.output_type == "error"]
    return f"{errors[0].ename}: {errors[0].evalue}" if errors else None


class Kernel:
    """One kernel in the lesson's release folder, running cells one at a time."""

    def __init__(self, lesson):
        self.nb = nbformat.v4.new_notebook()
        self.client = NotebookClient(self.nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(lesson.release("it").parent)}})

    def __enter__(self):
        self._context = self.client.setup_kernel()
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    def run(self, source):
        """Run ``source``; return the error it raised ("Name: message"), or None."""
        cell = new_code_cell(source)
        self.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.nb.cells) - 1)
        return error_of(cell)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_release_runs_without_any_answer(lesson):
    italian, english = release(lesson, "it"), release(lesson, "en")
    code = [[cell.source for cell in nb.cells if cell.cell_type == "code" and not cell_language(cell)]
            for nb in (italian, english)]
    assert code[0] == code[1], "the Italian and English releases must share every untagged code cell"
    tagged = [[cell for cell in nb.cells if cell.cell_type == "code" and cell_language(cell)]
              for nb in (italian, english)]
    twins = [[cell.id.removesuffix(f"-{language}") for cell in cells]
             for cells, language in zip(tagged, ("it", "en"), strict=True)]
    assert twins[0] == twins[1], "each language-tagged code cell has its twin in the other language"
    assert all(len(cell.source.split("\n")) <= 6 and "(" in cell.source for cell in tagged[0] + tagged[1]), \
        "a language-tagged code cell only calls a shared function with its language's words"
    skipped = exercise_cells(italian)
    failures = []
    with Kernel(lesson) as kernel:
        for index, cell in enumerate(italian.cells):
            if cell.cell_type != "code":
                continue
            error = kernel.run(cell.source)
            if error and index not in skipped:
                failures.append(f"cell {index} (id {cell.get('id')!r}): {error}")
    assert not failures, (f"{lesson.release('it')}: cells outside the exercises fail when no answer is written "
                          "(they must not depend on an answer):\n" + "\n".join(failures))


# Each answer starts with autograd on: a wrong answer may switch it off for the whole kernel
# (torch.set_grad_enabled(False)), and the next answer must not pay for it.
FRESH_AUTOGRAD = "import torch\ntorch.set_grad_enabled(True)"


def wrong_answers(lesson):
    """The lesson's table of wrong answers, from tests/wrong_answers/NN-slug.py."""
    path = WRONG_ANSWERS / f"{lesson.id}.py"
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: it lists wrong answers for the exercises "
                    f"{sorted(exercises(lesson))} (WRONG_ANSWERS = {{answer grade id: [(why, source), ...]}})")
    spec = importlib.util.spec_from_file_location(f"wrong_answers_{lesson.id.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WRONG_ANSWERS


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_visible_tests_reject_wrong_answers(lesson):
    table = wrong_answers(lesson)
    tested = exercises(lesson)
    missing = [grade_id for grade_id in tested if not table.get(grade_id)]
    assert not missing, f"tests/wrong_answers/{lesson.id}.py: no wrong answer for the exercises {missing}"
    unknown = sorted(set(table) - set(tested))
    assert not unknown, f"tests/wrong_answers/{lesson.id}.py: {unknown} are not auto-graded exercises of the lesson"
    reference = answers(lesson)
    nb = release(lesson)
    test_cells = {nbgrader_meta(cell)["grade_id"]: cell.source for cell in nb.cells if nbgrader_meta(cell).get("grade")}
    problems = []
    with Kernel(lesson) as kernel:
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type != "code" or meta.get("grade"):
                continue  # graded cells run right after each answer, below
            grade_id = meta.get("grade_id")
            if grade_id not in tested:
                kernel.run(cell.source)
                continue
            visible = [test_cells[test_id] for test_id in tested[grade_id]]
            for why, source in table[grade_id]:
                kernel.run(FRESH_AUTOGRAD)
                kernel.run(source)
                if not any(kernel.run(test) for test in visible):
                    problems.append(f"{grade_id}: the visible tests accept a wrong answer ({why})")
            kernel.run(FRESH_AUTOGRAD)
            kernel.run(reference[grade_id])
            for test_id, test in zip(tested[grade_id], visible, strict=True):
                error = kernel.run(test)
                if error:
                    problems.append(f"{grade_id}: the reference solution fails the visible test {test_id} ({error})")
    assert not problems, f"{lesson.release('it')}:\n" + "\n".join(problems)
