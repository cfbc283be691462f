"""Screen: an untrusted notebook -> what to grade, and its problem lines.

Everything in a submission is hostile: its JSON, its metadata, its cells. ``screen`` reads it without
trusting it: a file that is not a notebook is reported and not graded; deleted, duplicated, reordered or
retyped graded cells and changed points are named (nbgrader restores test cells from the gradebook and uses
its own points); the student's code is scanned for code that reaches for what the tests rely on. The
student's code is every code cell whose source is not that of a code cell of the release, whatever its
metadata says (a student can mark a cell of their own ``locked``); the course's own cells are not scanned.
That scan is a hint for the reviewer, never the defence: the defence runs in the kernel (``guard.py``,
``execute.py``).
"""

import ast
import json

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from corso.language import cell_language

# Names the tests use, and modules whose attributes they call: rebinding any of them, or an alias of them,
# from a student's cell could make a wrong answer pass.
GUARDED_NAMES = {"torch", "np", "numpy", "math", "nn", "F", "builtins", "__builtins__", "isinstance", "len",
                 "type", "abs", "all", "any", "float", "int", "range", "zip", "AssertionError", "print",
                 "assert_close", "allclose", "isclose", "sys", "get_ipython"}
GUARDED_CALLS = {"setattr", "delattr", "exec", "eval", "compile", "__import__", "globals", "vars", "getattr"}
GUARDED_MODULES = {"builtins", "importlib", "ctypes", "gc", "inspect", "IPython", "ipykernel", "signal",
                   "threading", "_thread", "marshal", "types"}
GUARDED_ATTRIBUTES = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "events",
                      "set_custom_exc", "showtraceback", "settrace", "setprofile", "addaudithook", "audit",
                      "__code__", "__globals__", "__builtins__", "__dict__", "__subclasses__", "shell_handlers",
                      "displayhook", "excepthook", "run_cell", "transform_cell", "register_magic_function"}


def screen(submission, release_nb):
    """Read the notebook without trusting it; return the notebook to grade, or None if it cannot be graded.

    Notes what looks wrong in ``submission.problems``, and its language. A graded cell that appears twice is
    kept once, the first (nbgrader refuses duplicates); the student's file itself is never changed.
    """
    try:
        text = submission.notebook.read_bytes().decode("utf-8")
        if not text.strip():
            raise ValueError("the file is empty")
        json.loads(text)
    except json.JSONDecodeError as error:
        submission.problems.append(f"not valid JSON (line {error.lineno}, column {error.colno}): not graded")
        return None
    except Exception as error:
        submission.problems.append(f"not a notebook ({error}): not graded")
        return None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat and decoding raise several unrelated types
        submission.problems.append(f"not a notebook ({str(error).splitlines()[0][:120]}): not graded")
        return None
    languages = {cell_language(cell) for cell in nb.cells} - {None}
    submission.language = "+".join(sorted(languages)) or "?"
    submission.problems.extend(_structure_problems(nb, release_nb))
    for index, cell in student_code(nb, release_nb):
        for reason in hints(cell.source):
            submission.problems.append(f"REVIEW cell {index} (id {cell.get('id')!r}): {reason}")
    seen = set()
    nb.cells = [cell for cell in nb.cells if _first_time(cell.metadata.get("nbgrader", {}).get("grade_id"), seen)]
    return nb


def student_code(nb, release_nb):
    """(index, cell) of each code cell of ``nb`` that is not the course's: its source is not that of a code
    cell of the release. No metadata of the submission is read."""
    course_code = {cell.source for cell in release_nb.cells if cell.cell_type == "code"}
    return [(index, cell) for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source not in course_code]


def _first_time(grade_id, seen):
    if grade_id is None:
        return True
    if grade_id in seen:
        return False
    seen.add(grade_id)
    return True


def _structure_problems(nb, release_nb):
    def graded(notebook):
        return [(cell.metadata["nbgrader"]["grade_id"], cell) for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id")]
    expected = dict(graded(release_nb))
    found = graded(nb)
    found_ids = [grade_id for grade_id, _ in found]
    for grade_id in expected:
        if grade_id not in found_ids:
            yield f"cell {grade_id!r} deleted or its nbgrader metadata removed: scores 0"
    for grade_id in sorted({g for g in found_ids if found_ids.count(g) > 1}):
        yield f"cell {grade_id!r} duplicated: the first is graded"
    for grade_id, cell in found:
        original = expected.get(grade_id)
        if original is None:
            continue
        if cell.cell_type != original.cell_type:
            yield f"cell {grade_id!r} turned from {original.cell_type} into {cell.cell_type}"
        points = cell.metadata["nbgrader"].get("points")
        if points != original.metadata["nbgrader"].get("points"):
            yield f"cell {grade_id!r} points changed to {points}: the gradebook's are used"
    order = [grade_id for grade_id in dict.fromkeys(found_ids) if grade_id in expected]
    if order != [grade_id for grade_id in expected if grade_id in order]:
        yield "graded cells reordered"


def hints(source):
    """Why this student code could fool the tests (an empty list when nothing stands out).

    The code is read as IPython runs it (magics and ``!`` lines turned into Python first), and a name bound
    to a guarded name (``t = torch``, ``import torch.testing as tt``) is watched like the name itself."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return []  # it will fail on its own when executed
    aliases = set(GUARDED_NAMES)
    for node in ast.walk(tree):  # names bound to a guarded name, at any depth
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                root = (getattr(node, "module", None) or alias.name).split(".")[0]
                if root in aliases or alias.name.split(".")[0] in aliases:
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)) \
                and _root_name(node.value) in aliases:
            aliases.update(target.id for target in node.targets if isinstance(target, ast.Name))
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name in GUARDED_NAMES:
                found.append(f"redefines {node.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GUARDED_CALLS:
            found.append(f"calls {node.func.id}()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "run_cell_magic" and len(node.args) == 3 \
                and isinstance(node.args[2], ast.Constant) and isinstance(node.args[2].value, str):
            found += hints(node.args[2].value)  # a cell magic's body is code too (%%capture, %%time, ...)
        elif isinstance(node, ast.Attribute) and node.attr in GUARDED_ATTRIBUTES:
            found.append(f"uses .{node.attr}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            if any(name.split(".")[0] in GUARDED_MODULES for name in names):
                found.append(f"imports {', '.join(alias.name for alias in node.names)}")
        for target in _flatten(targets):
            if isinstance(target, ast.Name) and target.id in aliases - GUARDED_NAMES:
                continue  # rebinding one's own alias changes nothing the tests use
            if _root_name(target) in aliases and not (isinstance(target, ast.Name) and target.id not in GUARDED_NAMES):
                found.append(f"rebinds {ast.unparse(target)}")
    return sorted(set(found))


def _flatten(targets):
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            yield from _flatten(target.elts)
        else:
            yield target.value if isinstance(target, ast.Starred) else target


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None
