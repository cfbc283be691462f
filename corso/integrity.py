"""What keeps grading robust and honest, plugged into nbgrader through ``nbgrader_config.py``.

- ``ExecuteSurvivingCrashes``: nbgrader's Execute, except that a kernel that dies (``os._exit()``, a crash,
  a kill) or a cell that outlasts the time limit no longer aborts the whole submission: the cell gets an
  error output (after a death, every later code cell too), so the tests that ran keep their points and
  those that could not run score nothing.
- ``HideTestTracebacks``: feedback shows a failing test's message (the bilingual assertion text) but not
  the traceback, whose lines would print hidden tests.
- ``ScrubHiddenTests``: feedback shows no line of a hidden test in any output of any cell (a student's cell
  can print the kernel's input history, or what the test cell running it was sent).
"""

import html
import itertools
import json
from pathlib import Path

import nbformat
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
                cell = self.execute_cell(cell, index, store_history=self.kept_in_history(cell))
            except CellTimeoutError:  # nbclient gave up waiting for output: stop the cell, go on with the next
                self.km.interrupt_kernel()
                cell.outputs.append(TIMED_OUT)
            except DeadKernelError:
                self._kernel_died = True
        if self._kernel_died:
            cell.outputs.append(KERNEL_DIED)
        cell.outputs = joined_streams(cell.outputs)
        return cell, resources

    def kept_in_history(self, cell):
        """Whether the kernel keeps the cell in its input history (In, _ih): every cell, unless a subclass says."""
        return True


def joined_streams(outputs):
    """``outputs`` with each run of consecutive outputs of one stream joined into one output.

    What a cell prints reaches the grader in chunks that depend on timing: joined, a graded notebook and its
    feedback are the same wherever and however fast it ran. (nbclient's ``coalesce_streams`` does this by
    repeated concatenation, quadratic in the number of chunks: a submission that prints 100 MB would keep the
    grader busy for many minutes.)"""
    joined = []
    for (kind, name), run in itertools.groupby(outputs, key=lambda output: (output.output_type, output.get("name"))):
        run = list(run)
        if kind == "stream" and len(run) > 1:
            joined.append(new_output("stream", name=name, text="".join(
                output.text if isinstance(output.text, str) else "".join(output.text) for output in run)))
        else:
            joined.extend(run)
    return joined


class HideTestTracebacks(NbGraderPreprocessor):
    """In graded test cells, keep only the error's name and message: tracebacks print hidden test lines."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class ScrubHiddenTests(NbGraderPreprocessor):
    """In every output of every cell, replace each line that holds a line of a hidden test (read from the
    lesson's source in the course) with a note. Lines shorter than ``MIN_LENGTH`` are not secrets."""

    MIN_LENGTH = 12
    NOTE = "[riga di un test nascosto rimossa / hidden test line removed]"

    def preprocess(self, nb, resources):
        source = lesson_source(self.config, resources)
        self.hidden = [line for line in hidden_test_lines(nbformat.read(source, as_version=4))
                       if len(line) >= self.MIN_LENGTH]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            for key in ("text", "evalue"):
                if key in output:
                    output[key] = self._scrub(output[key])
            if "traceback" in output:
                output["traceback"] = [self._scrub(line) for line in output["traceback"]]
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output["data"][mime] = self._scrub(value)
                elif self._scrub(json.dumps(value)) != json.dumps(value):  # e.g. application/json
                    output["data"][mime] = self.NOTE
        return cell, resources

    def _scrub(self, text):
        lines = text.split("\n")
        return "\n".join(self.NOTE if any(secret in html.unescape(line) for secret in self.hidden) else line
                         for line in lines)


def lesson_source(config, resources):
    """The lesson's source notebook in the nbgrader course that ``config`` names (the course's own copy,
    trusted, never the student's), for the notebook an nbgrader converter is processing."""
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=config)
    info = resources["nbgrader"]
    return Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]),
                f"{info['notebook']}.ipynb")


def hidden_test_lines(source_nb):
    """The stripped lines that appear only between hidden-test markers of the lesson's source."""
    from corso.lessons import HIDDEN_TEST_MARKERS
    begin, end = HIDDEN_TEST_MARKERS
    inside, outside = set(), set()
    for cell in source_nb.cells:
        hidden = False
        for line in cell.source.split("\n"):
            stripped = line.strip()
            if stripped in (begin, end):
                hidden = stripped == begin
            elif stripped:
                (inside if hidden else outside).add(stripped)
    return sorted(inside - outside)
