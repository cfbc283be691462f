"""What keeps grading robust and honest, plugged into nbgrader through ``nbgrader_config.py``.

- ``ExecuteSurvivingCrashes``: nbgrader's Execute, except that a kernel that dies (``os._exit()``, a crash,
  a kill) or a cell that outlasts the time limit no longer aborts the whole submission: the cell gets an
  error output (after a death, every later code cell too), so the tests that ran keep their points and
  those that could not run score nothing.
- ``HideTestTracebacks``: feedback shows a test cell's error as its name and message, without the traceback
  (which repeats the test's code, shown collapsed above it).
- ``ScrubHiddenTests``: feedback shows no line of a hidden test, in any cell's source or in any field of any
  output, however disguised with characters a reader does not see or that look the same (``normalised``).
"""

import html
import itertools
import re
import unicodedata
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.filters import strip_ansi
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
    """In graded test cells, keep only the error's name and message: the traceback repeats the test's code."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class ScrubHiddenTests(NbGraderPreprocessor):
    """Replace with a note each line, of every cell's source and of every string in its outputs (the error's
    name, message and traceback, the text, every kind of data, the metadata), that holds a line of a hidden
    test (read from the lesson's source in the course). Both are compared ``normalised``, as a reader sees
    them. Lines shorter than ``MIN_LENGTH`` once normalised are not secrets."""

    MIN_LENGTH = 12
    NOTE = "[riga di un test nascosto rimossa / hidden test line removed]"

    def preprocess(self, nb, resources):
        source = nbformat.read(lesson_source(self.config, resources), as_version=4)
        self.hidden = {line for line in map(normalised, hidden_test_lines(source)) if len(line) >= self.MIN_LENGTH}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell.source = self._scrub(cell.source)
        if "outputs" in cell:
            cell.outputs = self._scrub(cell.outputs)
        return cell, resources

    def _scrub(self, value):
        """``value`` (a string, or a list or dict of values, at any depth) with each line that holds a hidden
        line replaced by ``NOTE``."""
        if isinstance(value, str):
            return "\n".join(self.NOTE if self._holds_hidden_line(line) else line for line in value.split("\n"))
        if isinstance(value, list):
            return [self._scrub(item) for item in value]
        if isinstance(value, dict):
            return type(value)({key: self._scrub(item) for key, item in value.items()})
        return value

    def _holds_hidden_line(self, line):
        shown = normalised(line)
        return any(hidden in shown for hidden in self.hidden)


# What shows nothing, besides the format characters (Unicode category Cf: zero-width spaces and joiners, word
# joiners, direction marks, soft hyphens, tags): controls other than whitespace, the grapheme joiner, Khmer's
# inherent vowels, variation selectors.
INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u034f\u17b4\u17b5\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# Characters that show as a blank but are not whitespace to Python: Hangul fillers, the Braille blank.
BLANK = re.compile("[\u115f\u1160\u2800\u3164\uffa0]")


def normalised(text):
    """``text`` as a reader sees it, to compare with the lines of hidden tests: terminal colour codes removed,
    HTML entities decoded, NFKC (which folds no-break spaces, fullwidth and other compatibility forms into
    the plain ones), the characters that show nothing removed, and each run of whitespace one space."""
    text = unicodedata.normalize("NFKC", html.unescape(strip_ansi(text)))
    if not text.isascii():
        text = BLANK.sub(" ", "".join(char for char in text if unicodedata.category(char) != "Cf"))
    return " ".join(INVISIBLE.sub("", text).split())


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
