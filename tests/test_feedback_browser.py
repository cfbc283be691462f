"""The pages grading hands out, opened in Chromium with the network blocked: an Italian student's feedback,
an English student's, and the class report (the class of tests/feedback_class.py, graded once).

Every request but the page's own file is aborted and recorded: none may be attempted. Formulas must be
typeset (MathJax's ``mjx-container`` with its SVG) from what the page carries. Each page is saved as a
screenshot in ``test-artifacts/feedback/``; with ``CORSO_SCREENSHOTS=docs/screenshots`` (``make screenshots``)
the README's copies are refreshed too.
"""

import os
from pathlib import Path

import nbformat
import pytest
from feedback_class import CLASS, EXERCISES, FIRST, LAST, LESSON, SECOND, WRITTEN
from labpage import chromium
from PIL import Image
from playwright.sync_api import expect
from project import ROOT

from corso.course import GradingCourse
from corso.grading.outcomes import FAILED, LABELS, NOT_ANSWERED, PASSED, classify
from corso.grading.report import class_report_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts" / "feedback"
VIEWPORT = {"width": 1100, "height": 900}


@pytest.fixture(scope="module")
def browser():
    with chromium() as started:
        yield started


class OfflinePage:
    """A page opened from its file with every other request aborted and recorded, and dialogs recorded."""

    def __init__(self, browser, path, height=VIEWPORT["height"]):
        self.context = browser.new_context(viewport={**VIEWPORT, "height": height})
        self.url = Path(path).as_uri()
        self.requests, self.dialogs = [], []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.goto(self.url)

    def _route(self, route):
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def close(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / name)
        publish(ARTIFACTS / name)
        self.context.close()
        assert self.requests == [self.url], f"requests other than the page itself: {self.requests[1:]}"
        assert not self.dialogs, f"script from a submission ran: {self.dialogs}"


def publish(screenshot):
    """Copy a screenshot to $CORSO_SCREENSHOTS (relative to the repository), when it is set."""
    target = os.environ.get("CORSO_SCREENSHOTS")
    if target:
        folder = Path(target) if Path(target).is_absolute() else ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        with Image.open(screenshot) as image:  # 256 colours: a third of the size, no visible difference
            image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(folder / screenshot.name, optimize=True)


def feedback_page(workdir, student):
    return workdir / "feedback" / student / LESSON.id / f"{LESSON.slug}.html"


def expected_outcomes(workdir, student):
    grading = GradingCourse(ROOT, workdir)
    return {outcome.grade_id: outcome for outcome in classify(
        grading.autograded(LESSON, student), nbformat.read(LESSON.source, as_version=4),
        grading.scores(LESSON, student))}


def check_feedback(browser, workdir, student, screenshot):
    """The summary lists every exercise with its status in the student's language, failure messages in
    that language, test cells collapsed, formulas typeset; returns the expected outcomes."""
    language = CLASS[student].language
    labels = LABELS[language]
    outcomes = expected_outcomes(workdir, student)
    offline = OfflinePage(browser, feedback_page(workdir, student))
    page = offline.page
    rows = page.locator("#corso-summary tr.corso-outcome")
    expect(rows).to_have_count(len(EXERCISES) + len(WRITTEN))
    for grade_id, outcome in outcomes.items():
        row = page.locator(f'#corso-summary tr[data-grade-id="{grade_id}"]')
        expect(row.locator(".corso-status")).to_have_text(labels[outcome.status])
        expect(row.locator("a")).to_have_text(outcome.title.replace("`", ""))
        if outcome.message:
            expect(row.locator(".corso-message")).to_have_text(outcome.message)
        for test in EXERCISES.get(grade_id, []):  # each collapsed test says whether it passed
            verdict = labels[PASSED if outcome.status == PASSED else FAILED]
            expect(page.locator(f"details#{test} > summary .corso-status")).to_have_text(verdict)
    tests = page.locator("details.corso-test")
    expect(tests).to_have_count(sum(len(ids) for ids in EXERCISES.values()))
    assert not any(tests.nth(i).get_attribute("open") is not None for i in range(tests.count()))
    expect(page.locator("mjx-container svg").first).to_be_attached(timeout=20_000)
    assert page.locator("mjx-container").count() >= 5
    offline.close(screenshot)
    return outcomes


def test_italian_students_feedback(browser, feedback_class):
    _, workdir = feedback_class
    outcomes = check_feedback(browser, workdir, "rossi", "feedback-it.png")
    assert outcomes[FIRST].status == FAILED and "atteso" in outcomes[FIRST].message
    assert "expected" not in outcomes[FIRST].message
    assert outcomes[LAST].status == NOT_ANSWERED


def test_english_students_feedback(browser, feedback_class):
    _, workdir = feedback_class
    outcomes = check_feedback(browser, workdir, "smith", "feedback-en.png")
    assert outcomes[SECOND].status == FAILED and outcomes[SECOND].message.endswith("alert('en')</script>")


def test_class_report(browser, feedback_class):
    report, workdir = feedback_class
    offline = OfflinePage(browser, class_report_path(report), height=1900)
    page = offline.page
    expect(page.locator("h1")).to_contain_text(LESSON.id)
    expect(page.locator("figure svg")).to_have_count(2)
    titles = [outcome.title.replace("`", "") for outcome in expected_outcomes(workdir, "rossi").values()]
    expect(page.locator("table.exercises tbody tr td:first-child")).to_have_text(titles)
    flagged = [student for student, spec in CLASS.items() if "review" in spec.expected.values()]
    expect(page.locator("table.flagged tbody tr td:first-child")).to_have_text(flagged)
    offline.close("class-report.png")
