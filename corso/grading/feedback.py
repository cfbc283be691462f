"""The student's feedback page: nbgrader's GenerateFeedback with the course's template, steps and HTML rules.

``nbgrader_config.py`` plugs them in, so the page is made the same way in the grading process of
``corso grade`` and by ``corso feedback`` from the gradebook after the instructor graded written answers.
The page carries nothing the grading run's kernel printed, raised or named:

- ``FeedbackSummary`` (the first step) puts each exercise's outcome (``outcomes.classify`` on the autograded
  notebook: the grader's verdicts and the gradebook's points) in the student's language into the template's
  resources, then puts in place of the autograded cells those of the notebook as the student submitted it,
  with their own outputs (``page_cells``); the instructor's autograded notebook keeps everything;
- the steps after it cut test tracebacks (``HideTestTracebacks``) and scrub hidden test lines
  (``ScrubHiddenTests``, however disguised: ``normalised``), then read the points from the gradebook
  (nbgrader's GetGrades);
- nbconvert sanitises the HTML of Markdown cells and outputs (``HTMLExporter.sanitize_html``) with the
  course's rules (``clean_html``): what a submission wrote can neither run nor load anything;
- ``templates/feedback`` (named like nbgrader's own, which nbgrader's API asks for by name): the summary at
  the top, then the notebook with the test cells collapsed, and MathJax inlined (``corso/vendor/mathjax``):
  one HTML file that makes no request at all, whose Content-Security-Policy lets only its own two scripts
  run (``content_security_policy``).
"""

import base64
import hashlib
import html
import re
import unicodedata
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import bleach
import nbformat
from nbconvert.filters import strip_ansi
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from corso.course import gradebook_marks, lesson_source
from corso.exercises import LABELS, lesson_title, notebook_language, title_html
from corso.grading.outcomes import classify
from corso.lessons import HIDDEN_TEST_MARKERS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MATHJAX = Path(__file__).resolve().parent.parent / "vendor" / "mathjax" / "tex-svg-full.js"
# MathJax's settings: no menu, nothing typeset where a message, a comment, code or an output is shown, and
# no TeX package that writes links, classes, ids or styles (\href, \class, \cssId, \style).
MATHJAX_SETTINGS = r"""
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, packages: {'[-]': ['html']}},
  options: {enableMenu: false, ignoreHtmlClass: 'corso-message|corso-comment|input_area|output_area'},
  svg: {fontCache: 'global'}
};
"""
# The outputs a page shows, by MIME type; HTML and Markdown through ``clean_html``, SVG as an image (which
# runs no script and loads nothing). Every other kind (JavaScript, widgets, PDF, ...) is left out, and so is
# HTML or Markdown longer than MAX_MARKUP characters (sanitising costs about 30 s a megabyte): their plain text
# shows instead, where the output has one.
SHOWN_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/svg+xml")
MARKUP_MIMES = ("text/html", "text/markdown")
MAX_MARKUP = 100_000


@cache
def page_scripts():
    """The only scripts of the page: MathJax's settings, then MathJax itself."""
    return (MATHJAX_SETTINGS, MATHJAX.read_text(encoding="utf-8"))


def content_security_policy(scripts=()):
    """A Content-Security-Policy for a page the course writes: it runs only the inline ``scripts`` (by their
    sha256) and loads nothing, beyond its inline styles and ``data:`` images."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" for script in scripts]
    return "; ".join(["default-src 'none'", *([f"script-src {' '.join(hashes)}"] if hashes else []),
                      "style-src 'unsafe-inline'", "img-src data:", "base-uri 'none'", "form-action 'none'"])


class FeedbackSummary(NbGraderPreprocessor):
    """The outcomes of the exercises, in the submission's language, for the feedback template; then the
    submitted notebook's cells in place of the autograded ones."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        source = nbformat.read(lesson_source(self.config, resources), as_version=4)
        language = notebook_language(nb)
        scores, comments = gradebook_marks(info["db_url"], info["notebook"], info["assignment"], info["student"])
        outcomes = classify(nb, source, scores, comments, language)
        resources["corso"] = {
            "language": language,
            "labels": LABELS[language],
            "lesson_title": lesson_title(source, language),
            "outcomes": outcomes,
            "titles": {outcome.grade_id: title_html(outcome.title) for outcome in outcomes},
            "scripts": page_scripts(),
            "csp": content_security_policy(page_scripts()),
        }
        nb.cells = page_cells(nbformat.read(submitted_notebook(self.config, resources), as_version=4), nb)
        return nb, resources


def submitted_notebook(config, resources):
    """The notebook as the student submitted it, in the nbgrader course that ``config`` names (in corso's
    grading courses, the one ``GradingCourse.submit`` wrote after inspecting the student's file)."""
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=config)
    info = resources["nbgrader"]
    return Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]),
                f"{info['notebook']}.ipynb")


def page_cells(submitted_nb, graded_nb):
    """The submitted notebook's cells, as the page shows them: each graded cell with the nbgrader metadata
    that grading gave it (none on a cell grading does not know, or on a second copy), execution counts that
    are numbers, and only outputs that can neither run nor load anything (``inert_output``)."""
    trusted = {}
    for cell in graded_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            trusted.setdefault(meta["grade_id"], meta)
    for cell in submitted_nb.cells:
        meta = trusted.pop(cell.metadata.get("nbgrader", {}).get("grade_id"), None)
        cell.metadata.pop("nbgrader", None)
        if meta is not None:
            cell.metadata["nbgrader"] = meta
        if cell.cell_type == "code":
            count = cell.get("execution_count")
            cell.execution_count = count if type(count) is int else None
            cell.outputs = [shown for shown in map(inert_output, cell.get("outputs", [])) if shown is not None]
    return submitted_nb.cells


def inert_output(output):
    """An output of the submission rebuilt from the fields the page shows: data of ``SHOWN_MIMES`` only (markup
    within ``MAX_MARKUP``), and no metadata (nbconvert reads image file names and an iframe switch there); None
    for an unknown kind."""
    kind = output.get("output_type")
    if kind in ("display_data", "execute_result"):
        data = {mime: str(value) for mime, value in output.get("data", {}).items() if mime in SHOWN_MIMES
                and not (mime in MARKUP_MIMES and len(str(value)) > MAX_MARKUP)}
        counted = {"execution_count": None} if kind == "execute_result" else {}
        return new_output(kind, data=data, **counted)
    if kind == "stream":
        return new_output(kind, name="stderr" if output.get("name") == "stderr" else "stdout",
                          text=str(output.get("text", "")))
    if kind == "error":
        return new_output(kind, ename=str(output.get("ename", "")), evalue=str(output.get("evalue", "")),
                          traceback=[str(line) for line in output.get("traceback", [])])
    return None


# What HTML from a submission may keep (Markdown cells, HTML and Markdown outputs, and nbconvert's own
# highlighted code): text markup, lists, tables, links, data: images; no script, style, form, frame or
# embedded object, no event handler, no style attribute (CSS can load URLs).
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
                "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "q", "s",
                "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
                "tr", "u", "ul", "var"}
LINK_SCHEMES = {"http", "https", "mailto"}


def allowed_attribute(tag, name, value):
    """Whether an attribute may stay: classes and titles; a heading's id (its anchor); a link to a page or to
    an anchor; an image's size, text and ``data:`` source; table cells' spans."""
    if name in ("class", "title"):
        return True
    if name == "id":
        return tag in ("h1", "h2", "h3", "h4", "h5", "h6")
    if tag == "a" and name == "href":
        return value.startswith("#") or urlsplit(value).scheme.lower() in LINK_SCHEMES
    if tag == "img":
        return name in ("alt", "width", "height") or (name == "src" and value.startswith("data:image/"))
    return tag in ("td", "th") and name in ("colspan", "rowspan")


def clean_html(html):
    """HTML from a submission (``html``, text or bytes) with everything but ``ALLOWED_TAGS`` and
    ``allowed_attribute`` escaped or dropped; nbconvert's filter of that name, for this course's pages."""
    text = html.decode() if isinstance(html, bytes) else str(html)
    return _cleaner().clean(text)


@cache
def _cleaner():
    """bleach's Cleaner for ``clean_html``, made once (``bleach.clean`` makes one, and its parser, a call)."""
    return bleach.sanitizer.Cleaner(tags=ALLOWED_TAGS, attributes=allowed_attribute,
                                    protocols=LINK_SCHEMES | {"data"}, strip_comments=True)


def regenerate(root, lesson, workdir, db_url=None):
    """Make the feedback page of every graded submission of ``lesson`` again, from the gradebook (with the
    instructor's scores and comments); return the pages, in student order."""
    from corso.course import CourseError, GradingCourse
    course = GradingCourse(root, workdir, db_url)
    autograded = course.workdir / "autograded"
    graded = sorted(folder.name for folder in (autograded.iterdir() if autograded.is_dir() else [])
                    if (folder / lesson.id / f"{lesson.slug}.ipynb").is_file())
    if not graded:
        raise CourseError(f"nothing graded for {lesson.id} in {course.workdir}: run corso grade first")
    for student in graded:
        course.feedback(lesson, student)
    return [course.workdir / "feedback" / student / lesson.id / f"{lesson.slug}.html" for student in graded]


# ---------------------------------------------------------------- the steps after it: no test traceback, no hidden line


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


def hidden_test_lines(source_nb):
    """The stripped lines that appear only between hidden-test markers of the lesson's source."""
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
