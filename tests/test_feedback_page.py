"""The feedback page carries nothing the grading kernel produced and nothing active from a submission; the
leak search sees through disguises. The page is a hostile submission's, made by the course's real feedback
path with no kernel run (tests/hostile_feedback.py); tests/test_feedback_browser.py opens it in Chromium.
"""

import base64
import hashlib
import html
import re

import pytest
from bs4 import BeautifulSoup
from hostile_feedback import (
    GRADER_MARK,
    GRADER_MESSAGE,
    HIDDEN_LINE,
    LANGUAGE,
    LESSON,
    SOURCE,
    STUDENT_MARK,
    feedback_page,
    hostile_class_report,
    hostile_grading,
)
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from project import ROOT
from submissions import disguised, leaked, page_text, secret_lines
from traitlets.config import Config

from corso.exercises import split_message
from corso.grading.feedback import (
    MAX_MARKUP,
    ScrubHiddenTests,
    clean_html,
    content_security_policy,
    inert_output,
    normalised,
    page_scripts,
)
from corso.lessons import HIDDEN_TEST_MARKERS

EVIL = "evil.example"
ACTIVE_ELEMENTS = ["iframe", "frame", "object", "embed", "link", "base", "form", "video", "audio", "source", "math",
                   "meta[http-equiv=refresh]", "input", "button", "body svg script"]
ADDRESSES = {"src", "srcset", "href", "xlink:href", "action", "formaction", "data", "poster", "background"}
LOADING_CSS = re.compile(r"url\(\s*['\"]?(?!#|data:)|@import|expression\(", re.I)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The grading folder where the hostile submission was graded."""
    return hostile_grading(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def hostile(graded):
    """(HTML, parsed) of the hostile submission's feedback page."""
    text = feedback_page(graded).read_text()
    return text, BeautifulSoup(text, "html.parser")


@pytest.mark.parametrize("disguise", [
    lambda line: line.replace(" ", "\u00a0"),  # no-break spaces
    lambda line: "\u200b".join(line),  # a zero-width space between letters
    lambda line: "\u2060".join(line),  # word joiners
    lambda line: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in line),  # fullwidth letters
    lambda line: html.escape(line).replace(" ", "&nbsp;").replace("a", "&#97;"),  # entities
    disguised,  # all of them at once
], ids=["no-break", "zero-width", "word-joiner", "fullwidth", "entities", "all"])
def test_leak_search_fails_on_a_disguised_hidden_line(disguise):
    page = f"<html><body><p>results</p><pre>{disguise(HIDDEN_LINE)}</pre></body></html>"
    assert HIDDEN_LINE not in page
    assert leaked(page, [HIDDEN_LINE]) == [HIDDEN_LINE]


def test_leak_search_reads_highlighted_code_and_attributes():
    words = HIDDEN_LINE.split(" ")
    spans = " ".join(f'<span class="n">{html.escape(word)}</span>' for word in words)
    assert leaked(f"<pre>{spans}</pre>", [HIDDEN_LINE]) == [HIDDEN_LINE]
    assert leaked(f'<img alt="{html.escape(HIDDEN_LINE)}">', [HIDDEN_LINE]) == [HIDDEN_LINE]
    assert leaked(f"<script>{HIDDEN_LINE}</script><p>other</p>", [HIDDEN_LINE]) == []


def test_normalisation_folds_what_a_reader_does_not_see():
    assert normalised("a\u00a0b\u200b\u2060c \t\n d\u00ad\ufeffe\x1b[31mf\x1b[0m ＡＢ&amp;") == "a bc def AB&"


def scrubbed(cell):
    """``cell`` scrubbed by ScrubHiddenTests, with the hidden tests of the lesson's source in this course."""
    config = Config()
    config.CourseDirectory.root = str(ROOT)
    resources = {"nbgrader": {"assignment": LESSON.id, "notebook": LESSON.slug}}
    nb, _ = ScrubHiddenTests(config=config).preprocess(new_notebook(cells=[cell]), resources)
    return nb.cells[0]


def test_scrubber_reaches_every_string_of_every_output_and_the_source():
    cell = new_code_cell(f"x = 1\n{disguised(HIDDEN_LINE)}", outputs=[
        new_output("error", ename=HIDDEN_LINE, evalue=disguised(HIDDEN_LINE), traceback=[f"1 {HIDDEN_LINE}"]),
        new_output("stream", name="stdout", text=f"ok\n{HIDDEN_LINE.replace(' ', chr(0x3000))}\n"),
        new_output("display_data", data={"text/html": f"<b>{html.escape(HIDDEN_LINE)}</b>",
                                         "application/json": {"lines": [HIDDEN_LINE]}},
                   metadata={"note": HIDDEN_LINE}),
    ])
    cell = scrubbed(cell)
    assert cell.source.split("\n") == ["x = 1", ScrubHiddenTests.NOTE]
    error, stream, data = cell.outputs
    assert (error.ename, error.evalue, error.traceback) == (ScrubHiddenTests.NOTE,) * 2 + ([ScrubHiddenTests.NOTE],)
    assert stream.text == f"ok\n{ScrubHiddenTests.NOTE}\n"
    assert data.data["text/html"] == ScrubHiddenTests.NOTE
    assert data.data["application/json"]["lines"] == [ScrubHiddenTests.NOTE]
    assert data.metadata.note == ScrubHiddenTests.NOTE
    markdown = scrubbed(new_markdown_cell(f"# Notes\n{HIDDEN_LINE}"))
    assert markdown.source == f"# Notes\n{ScrubHiddenTests.NOTE}"


def test_page_shows_the_submission_and_nothing_of_the_grading_kernel(hostile):
    text, soup = hostile
    assert STUDENT_MARK in text and GRADER_MARK not in text
    hidden = [line for line in secret_lines(SOURCE, markers=(HIDDEN_TEST_MARKERS,)) if len(line) >= 12]
    assert hidden and leaked(text, hidden) == []
    assert ScrubHiddenTests.NOTE in page_text(text)  # the disguised copies the student made were found


def test_summary_has_the_graders_message_in_the_students_language(hostile):
    _, soup = hostile
    messages = [element.get_text() for element in soup.select("#corso-summary .corso-message")]
    assert messages == [split_message(GRADER_MESSAGE, LANGUAGE)]


def test_page_runs_only_its_own_scripts_allowed_by_its_policy(hostile):
    _, soup = hostile
    assert [script.string for script in soup.find_all("script")] == list(page_scripts())
    policy = soup.select_one('head > meta[http-equiv="Content-Security-Policy"]')["content"]
    assert policy == content_security_policy(page_scripts())
    for script in page_scripts():
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy


def active_content(soup):
    """What in a parsed page could run or load anything: elements that embed, frame or submit, scripts in
    SVG, CSS that loads, event handlers, ``javascript:`` and every address but a ``data:`` image's, a fragment
    or a link (which loads nothing unless followed)."""
    found = [str(element)[:80] for selector in ACTIVE_ELEMENTS for element in soup.select(selector)]
    found += [str(style)[:80] for style in soup.find_all("style") if LOADING_CSS.search(style.get_text())]
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if (name.startswith("on") or "javascript:" in value.lower() or EVIL in value and not _link(element, name)
                    or name == "style" and LOADING_CSS.search(value)
                    or name in ADDRESSES and not (_link(element, name) or value.startswith(("data:image/", "#")))):
                found.append(f"{element.name} {name}={value[:60]}")
    return found


def _link(element, name):
    return element.name == "a" and name == "href" and element[name].startswith(("http://", "https://", "#"))


def test_page_has_no_active_content_from_the_submission(hostile):
    _, soup = hostile
    assert active_content(soup) == []
    assert len(soup.find_all("script")) == 2 and {style.parent.name for style in soup.find_all("style")} == {"head"}


def test_class_report_escapes_the_submission_and_has_the_policy(graded):
    soup = BeautifulSoup(hostile_class_report(graded).read_text(), "html.parser")
    assert active_content(soup) == [] and soup.find_all("script") == []
    policy = soup.select_one('head > meta[http-equiv="Content-Security-Policy"]')["content"]
    assert policy == content_security_policy() and "script-src" not in policy
    failures = soup.select_one("table.failures").get_text()
    assert split_message(GRADER_MESSAGE, "it").split(":")[0] in failures and "<script>" in failures
    assert "<iframe" in soup.select_one("table.flagged").get_text()  # the problem lines, as text


def test_clean_html_keeps_text_markup_and_drops_the_rest():
    kept = ('<h2 id="t">T</h2><p>a <em>b</em> <code>c</code></p><a href="https://pytorch.org/docs">docs</a>'
            '<table><tbody><tr><td colspan="2">d</td></tr></tbody></table>')
    assert clean_html(kept) == kept
    assert clean_html('<a href="#t">t</a><a href="javascript:x()">j</a><a href="data:text/html,x">d</a>') == (
        '<a href="#t">t</a><a>j</a><a>d</a>')
    assert clean_html('<img src="data:image/png;base64,AA" onerror="x()"><img src="http://e/x.png">') == (
        '<img src="data:image/png;base64,AA"><img>')
    assert clean_html("<script>x()</script><p style=\"background:url(http://e)\" onclick=\"x()\">p</p>") == (
        "&lt;script&gt;x()&lt;/script&gt;<p>p</p>")


def test_outputs_keep_only_what_the_page_shows_inert():
    shown = new_output("execute_result", data={"text/plain": "1", "application/javascript": "x()"}, execution_count=3,
                       metadata={"filenames": {"image/png": "http://e/x.png"}})
    assert inert_output(shown) == new_output("execute_result", data={"text/plain": "1"}, execution_count=None)
    big = new_output("display_data", data={"text/html": "<p>1</p>" * MAX_MARKUP, "text/plain": "a big table"})
    assert inert_output(big) == new_output("display_data", data={"text/plain": "a big table"})
    assert inert_output({"output_type": "update_display_data", "data": {}}) is None
