"""What keeps grading robust and honest, plugged into nbgrader through ``nbgrader_config.py``.

- ``ExecuteSurvivingCrashes``: nbgrader's Execute, except that a kernel that dies (``os._exit()``, a crash,
  a kill) or a cell that outlasts the time limit no longer aborts the whole submission: the cell gets an
  error output (after a death, every later code cell too), so the tests that ran keep their points and
  those that could not run score nothing.
- ``HideTestTracebacks``: feedback shows a failing test's message (the bilingual assertion text) but not
  the traceback, whose lines would print hidden tests.
- ``tampering``: the places where a student's own code rebinds what the tests rely on (``torch.allclose``,
  ``assert_close``, builtins, ...), so that such a submission is flagged for review with the cell named.
"""

import ast

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

TIMED_OUT = new_output(
    "error", ename="CellTimeoutError",
    evalue="la cella ha superato il tempo massimo ed è stata interrotta / "
           "the cell ran past the time limit and was stopped",
    traceback=["CellTimeoutError: tempo massimo superato / time limit exceeded"])
KERNEL_DIED = new_output(
    "error", ename="DeadKernelError",
    evalue="il kernel si è interrotto durante questa cella o prima / the kernel died in or before this cell",
    traceback=["DeadKernelError: il kernel si è interrotto / the kernel died"])


class ExecuteSurvivingCrashes(Execute):
    """nbgrader's Execute that marks the cells it could not run when the kernel dies, instead of failing."""

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if not self._kernel_died:
            try:
                return self.execute_cell(cell, index, store_history=self.kept_in_history(cell)), resources
            except CellTimeoutError:  # nbclient gave up waiting for output: stop the cell, go on with the next
                self.km.interrupt_kernel()
                cell.outputs.append(TIMED_OUT)
                return cell, resources
            except DeadKernelError:
                self._kernel_died = True
        cell.outputs.append(KERNEL_DIED)
        return cell, resources

    def kept_in_history(self, cell):
        """Whether the kernel keeps the cell in its input history (In, _ih): every cell, unless a subclass says."""
        return True


class HideTestTracebacks(NbGraderPreprocessor):
    """In graded test cells, keep only the error's name and message: tracebacks print hidden test lines."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# Names the tests use, and modules whose attributes they call: rebinding any of them from a student's cell
# could make a wrong answer pass.
GUARDED_NAMES = {"torch", "np", "numpy", "math", "nn", "F", "builtins", "__builtins__", "isinstance", "len",
                 "type", "abs", "all", "any", "float", "int", "range", "zip", "AssertionError", "print",
                 "assert_close", "allclose", "isclose", "sys"}
GUARDED_CALLS = {"setattr", "delattr", "exec", "eval", "compile", "__import__", "globals", "vars"}


def tampering(source):
    """Why this student code could fool the tests (an empty list when it could not)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # it will fail on its own when executed
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
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            if any(name.split(".")[0] in {"builtins", "importlib", "ctypes", "gc", "inspect"} for name in names):
                found.append(f"imports {', '.join(alias.name for alias in node.names)}")
        for target in _flatten(targets):
            if _root_name(target) in GUARDED_NAMES:
                found.append(f"rebinds {ast.unparse(target)}")
    return sorted(set(found))


def _flatten(targets):
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            yield from _flatten(target.elts)
        else:
            yield target.value if isinstance(target, ast.Starred) else target


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
