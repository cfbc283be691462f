"""Submissions made the way students make them: from the release notebook, answer cells filled in (or not)."""

import re

import nbformat

from corso.lessons import SOLUTION_MARKERS, nbgrader_meta, read_source

SOLUTION_REGION = re.compile(rf"^([ \t]*){SOLUTION_MARKERS[0]}\n.*?{SOLUTION_MARKERS[1]}[^\n]*", re.S | re.M)


def answers(lesson, wrong=()):
    """The solution of every answer cell, by grade id; those in ``wrong`` answer with ``pass`` instead."""
    solved = {}
    for cell in read_source(lesson).cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            source = SOLUTION_REGION.sub(lambda m: m.group(1) + "pass", cell.source) if grade_id in wrong else cell.source
            solved[grade_id] = "\n".join(line for line in source.split("\n") if line.strip() not in SOLUTION_MARKERS)
    return solved


def filled_release(lesson, language, path, wrong=()):
    """Write to ``path`` the release notebook with every answer filled in, as a student would."""
    nb = nbformat.read(lesson.release(language), as_version=4)
    solved = answers(lesson, wrong)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            cell.source = solved[nbgrader_meta(cell)["grade_id"]]
    nbformat.write(nb, path)
    return path


def first_exercise(lesson):
    """The first auto-graded exercise: (its answer's grade id, the grade ids of the test cells that check it)."""
    cells = [nbgrader_meta(cell) | {"type": cell.cell_type} for cell in read_source(lesson).cells]
    start = next(i for i, meta in enumerate(cells) if meta.get("solution") and meta["type"] == "code")
    tests = []
    for meta in cells[start + 1:]:
        if meta.get("solution"):
            break
        if meta.get("grade"):
            tests.append(meta["grade_id"])
    return cells[start]["grade_id"], tests
