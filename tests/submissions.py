"""Submissions made the way students make them: from the release notebook, answer cells filled in (or not);
and the search of a page for the lines it must not show."""

import re

import nbformat
from bs4 import BeautifulSoup

from corso.grading.feedback import normalised
from corso.lessons import HIDDEN_TEST_MARKERS, SOLUTION_MARKERS, nbgrader_meta, read_source

SOLUTION_REGION = re.compile(rf"^([ \t]*){SOLUTION_MARKERS[0]}\n.*?{SOLUTION_MARKERS[1]}[^\n]*", re.S | re.M)


def answers(lesson, wrong=()):
    """The solution of every answer cell, by grade id; those in ``wrong`` answer with ``pass`` instead."""
    solved = {}
    for cell in read_source(lesson).cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            source = cell.source
            if grade_id in wrong:
                source = SOLUTION_REGION.sub(lambda m: m.group(1) + "pass", source)
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


def exercises(lesson):
    """{answer grade id: grade ids of the test cells after it} for the auto-graded exercises, in order."""
    found, current = {}, None
    for cell in read_source(lesson).cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            current = meta["grade_id"] if cell.cell_type == "code" else None
            if current:
                found[current] = []
        elif meta.get("grade") and current:
            found[current].append(meta["grade_id"])
    return found


def auto_points(lesson):
    """{grade id: points} of the auto-graded (code) test cells."""
    return {nbgrader_meta(cell)["grade_id"]: nbgrader_meta(cell)["points"] for cell in read_source(lesson).cells
            if nbgrader_meta(cell).get("grade") and cell.cell_type == "code"}


def secret_lines(*source_nbs, markers=(SOLUTION_MARKERS, HIDDEN_TEST_MARKERS)):
    """Lines that appear only inside the marked regions of the sources (written answers count as solutions):
    a line that one of them shows outside is no secret."""
    begins, ends = {begin for begin, _ in markers}, {end for _, end in markers}
    inside, outside = set(), set()
    for cell in (cell for source_nb in source_nbs for cell in source_nb.cells):
        region = None
        for line in cell.source.split("\n"):
            stripped = line.strip()
            if stripped in begins:
                region = stripped
            elif stripped in ends:
                region = None
            elif stripped:
                (inside if region else outside).add(stripped)
        if SOLUTION_MARKERS in markers and nbgrader_meta(cell).get("solution") and cell.cell_type == "markdown":
            inside.update(line.strip() for line in cell.source.split("\n") if line.strip())
    return inside - outside


def page_text(page_html):
    """All a reader of a page can read: its text (markup and entities resolved, scripts and styles left
    out) and the values of its elements' attributes (titles, alternative texts, addresses)."""
    soup = BeautifulSoup(page_html, "html.parser")
    for element in soup(["script", "style"]):
        element.decompose()
    values = [value for element in soup.find_all(True) for value in element.attrs.values()]
    return soup.get_text("") + "\n" + "\n".join(" ".join(v) if isinstance(v, list) else v for v in values)


def leaked(page_html, lines):
    """The ``lines`` (of hidden tests, of solutions) that a page shows, compared as the grader's scrubber
    compares them (``corso.grading.feedback.normalised``): however disguised with characters a reader does not see
    or that look the same."""
    text = normalised(page_text(page_html))
    return [line for line in lines if normalised(line) in text]


def disguised(line):
    """``line`` as it looks, in other characters: no-break spaces, a zero-width space and a word joiner
    between letters, every other letter fullwidth."""
    chars = [chr(ord(char) + 0xFEE0) if index % 2 and "!" <= char <= "~" else char
             for index, char in enumerate(line.replace(" ", "\u00a0"))]
    middle = len(chars) // 2
    return chars[0] + "\u200b" + "".join(chars[1:middle]) + "\u2060" + "".join(chars[middle:])
