"""The authored lessons in ``source/`` and the rules they must follow before anything is built from them.

A lesson lives in ``source/NN-slug/slug.ipynb``: the folder is the nbgrader assignment id, the file the
notebook id. Every rule broken is reported with the notebook and the cell, so the author can find it.
"""

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from corso.language import LANGUAGES, cell_language

LESSON_FOLDER = re.compile(r"(\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TEST_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class SourceError(Exception):
    """A source notebook breaks a rule of the course; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``source/01-tensors/tensors.ipynb`` has id ``01-tensors`` and slug ``tensors``."""

    root: Path
    id: str

    @property
    def slug(self):
        return LESSON_FOLDER.fullmatch(self.id).group(2)

    @property
    def source(self):
        return self.root / "source" / self.id / f"{self.slug}.ipynb"

    def release(self, language):
        return self.root / "release" / language / self.id / f"{self.slug}.ipynb"

    @property
    def solution(self):
        return self.root / "solutions" / self.id / f"{self.slug}.ipynb"

    def reading_copy(self, language):
        return self.root / "notebooks" / language / f"{self.id}.ipynb"

    def source_sha256(self):
        return hashlib.sha256(self.source.read_bytes()).hexdigest()


def find_lessons(root):
    """The lessons under ``root/source``, in order; a folder with a malformed name is an error."""
    lessons = []
    for folder in sorted(Path(root, "source").iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        if not LESSON_FOLDER.fullmatch(folder.name):
            raise SourceError(f"{folder}: a lesson folder is named NN-slug (lowercase ASCII, e.g. 01-tensors)")
        lesson = Lesson(Path(root), folder.name)
        if not lesson.source.is_file():
            raise SourceError(f"{folder}: expected the lesson notebook {lesson.source.name}")
        lessons.append(lesson)
    return lessons


def read_source(lesson):
    """Read a lesson's source notebook and check every authoring rule; return the notebook."""
    path = lesson.source
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several unrelated types for a broken file
        raise SourceError(f"{path}: not a valid notebook ({error})") from error
    problems = [f"{path}, cell {index} (id {cell.get('id')!r}): {problem}"
                for index, cell in enumerate(nb.cells) for problem in _cell_problems(nb.cells, index)]
    problems += [f"{path}: {problem}" for problem in _grade_id_problems(nb.cells)]
    problems += [f"{path}, {problem}" for problem in _try_it_problems(nb.cells)]
    if problems:
        raise SourceError("\n".join(problems))
    return nb


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _cell_problems(cells, index):
    cell = cells[index]
    meta = nbgrader_meta(cell)
    language = cell_language(cell)
    if cell.cell_type == "code" and (cell.outputs or cell.execution_count):
        yield "source cells carry no outputs (clear them: outputs are generated)"
    if language:
        twin_index = index + 1 if language == LANGUAGES[0] else index - 1
        twin = cells[twin_index] if 0 <= twin_index < len(cells) else None
        wanted = LANGUAGES[1] if language == LANGUAGES[0] else LANGUAGES[0]
        if twin is None or cell_language(twin) != wanted:
            where = "after" if language == LANGUAGES[0] else "before"
            yield f"'{language}' cell without its '{wanted}' twin right {where} it"
        if meta.get("grade") or meta.get("solution"):
            yield f"graded or answer cells are shared by both languages: remove the '{language}' tag"
    if meta.get("grade") and not _positive_number(meta.get("points")):
        yield f"graded cell {meta.get('grade_id')!r} has no points"
    if (meta.get("grade") or meta.get("solution")) and not meta.get("grade_id"):
        yield "nbgrader cell without a grade_id"
    yield from _marker_problems(cell.source, SOLUTION_MARKERS, allowed=bool(meta.get("solution")))
    yield from _marker_problems(cell.source, HIDDEN_TEST_MARKERS, allowed=bool(meta.get("grade")))
    if meta.get("grade") and cell.cell_type == "code":
        yield from _grading_source_problems(cell.source)


def _grading_source_problems(source):
    """A test cell must run as grading sends it: no ``_expected`` name read once expectations are removed."""
    try:
        left = expectation_names_left(source)
    except SyntaxError as error:
        yield f"graded test cell does not parse: {error.msg} (line {error.lineno})"
        return
    if left:
        yield (f"graded test cell reads {', '.join(left)} outside expected= and _expected statements: grading "
               "removes those, so it would fail there (see corso/checks.py)")


def _marker_problems(source, markers, allowed):
    begin, end = markers
    lines = [line.strip() for line in source.splitlines() if line.strip() in markers]
    if lines and not allowed:
        yield f"'{begin}' markers belong in {'answer' if begin == SOLUTION_MARKERS[0] else 'graded test'} cells"
    open_ = False
    for line in lines:
        if line == begin and open_:
            yield f"'{begin}' before the previous one was closed by '{end}'"
        elif line == end and not open_:
            yield f"'{end}' without a '{begin}' before it"
        open_ = line == begin
    if open_:
        yield f"'{begin}' without its '{end}'"


def _grade_id_problems(cells):
    first = {}
    for index, cell in enumerate(cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not grade_id:
            continue
        if grade_id in first:
            yield (f"cell {index} (id {cell.get('id')!r}): duplicate grade id {grade_id!r} "
                   f"(first used in cell {first[grade_id]})")
        else:
            first[grade_id] = index


def _try_it_problems(cells):
    """A "try it" cell (a code cell between an answer cell and its tests that uses what the answer defines)
    must catch the stub's NotImplementedError: the unanswered notebook still runs from top to bottom."""
    defined = set()
    for index, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("grade"):
            defined = set() if meta.get("grade") else defined
            continue
        tree = _parsed(cell.source)
        if tree is None:
            continue
        if meta.get("solution"):
            defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        elif {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} & defined and not _catches(tree):
            names = ", ".join(sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} & defined))
            yield (f"cell {index} (id {cell.get('id')!r}): this cell tries {names} before its tests: catch the "
                   "stub's NotImplementedError (try: ... except NotImplementedError: print(\"...: non ancora "
                   "scritta / not written yet\"))")


def _parsed(source):
    """The cell's Python syntax tree (IPython's magics turned into calls), or None if it does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _catches(tree):
    """Whether ``tree`` has an ``except`` that catches NotImplementedError."""
    handlers = [node.type for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)]
    return any(isinstance(name, ast.Name) and name.id in ("NotImplementedError", "RuntimeError", "Exception")
               for handler in handlers for name in ([handler] if not isinstance(handler, ast.Tuple)
                                                    else handler.elts))


def _positive_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


EXPECTED_PREFIX = "_expected"


def grading_source(source):
    """A test cell's source as grading sends it to the student's kernel: every ``expected=`` argument removed,
    and every statement (assignment, ``def``, ``class``) that binds only names starting with ``_expected``, so
    that no expected value is ever computed there. Raises SyntaxError for a source that does not parse."""
    tree = _WithoutExpectations().visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree))


def expectation_names_left(source):
    """The ``_expected…`` names that the grading source of a test cell still reads (each one would fail there)."""
    tree = ast.parse(grading_source(source))
    return sorted({node.id for node in ast.walk(tree)
                   if isinstance(node, ast.Name) and node.id.startswith(EXPECTED_PREFIX)})


class _WithoutExpectations(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        node.keywords = [keyword for keyword in node.keywords if keyword.arg != "expected"]
        return node

    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list):
                kept = [statement for statement in statements if not _binds_only_expectations(statement)]
                if not kept and statements and field == "body":
                    kept = [ast.Pass()]
                setattr(node, field, kept)
        return node


def _binds_only_expectations(statement):
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement.name.startswith(EXPECTED_PREFIX)
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        names = [node for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)]
        return bool(names) and all(isinstance(target, (ast.Name, ast.Tuple, ast.List)) for target in targets) \
            and all(name.id.startswith(EXPECTED_PREFIX) for name in names)
    return False
