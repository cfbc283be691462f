"""The pages grading hands out, opened in Chromium with the network blocked: an Italian student's feedback,
an English student's, and the class report (the class of tests/feedback_class.py, graded once); and a hostile
submission's feedback page and class report (tests/hostile_feedback.py: made by the course's feedback path,
no kernel run), where nothing may run.

Every request but the page's own file is aborted and recorded: none may be attempted. Every page's
Content-Security-Policy must block nothing (a violation is recorded too), and nothing the submission wrote may
run (it would set ``window.__pwned``, the title, or open a dialog). Formulas must be typeset (MathJax's
``mjx-container`` with its SVG) from what the page carries. Each page is saved as a screenshot in
``test-artifacts/feedback/``; with ``CORSO_SCREENSHOTS=docs/screenshots`` (``make screenshots``) the README's
copies are refreshed too.
"""

import os
from pathlib import Path

import nbformat
import pytest
from feedback_class import CLASS, EXERCISES, FIRST, LAST, LESSON, SECOND, WRITTEN
from hostile_feedback import feedback_page as hostile_page
from hostile_feedback import hostile_class_report, hostile_grading
from labpage import chromium
from PIL import Image
from playwright.sync_api import expect
from project import ROOT

from corso.course import GradingCourse
from corso.exercises import FAILED, LABELS, NOT_ANSWERED, PASSED
from corso.grading.outcomes import classify
from corso.grading.report import class_report_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts" / "feedback"
VIEWPORT = {"width": 1100, "height": 900}


# Run before the page's own scripts: record what its Content-Security-Policy blocks.
RECORD_VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
                          (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as started:
        yield started


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The grading folder of the hostile submission (tests/hostile_feedback.py)."""
    return hostile_grading(tmp_path_factory.mktemp("hostile"))


class OfflinePage:
    """A page opened from its file with every other request aborted and recorded, and dialogs and what the
    page's Content-Security-Policy blocked recorded."""

    def __init__(self, browser, path, height=VIEWPORT["height"]):
        self.context = browser.new_context(viewport={**VIEWPORT, "height": height})
        self.url = Path(path).as_uri()
        self.requests, self.dialogs = [], []
        self.context.route("**/*", self._route)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.goto(self.url)

    def ran(self):
        """(what a submission's script set ``window.__pwned`` to, what the policy blocked)."""
        return self.page.evaluate("[String(window.__pwned), window.__violations]")

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
        pwned, violations = self.ran()
        self.context.close()
        assert self.requests == [self.url], f"requests other than the page itself: {self.requests[1:]}"
        assert not self.dialogs and pwned == "undefined", f"script from a submission ran: {self.dialogs} {pwned}"
        assert violations == [], f"the page's Content-Security-Policy blocked: {violations}"


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
    assert outcomes[SECOND].status == FAILED and "alert(" not in outcomes[SECOND].message  # not the kernel's


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


# Addresses anywhere in the page once MathJax has run (it builds elements from TeX: links, styles).
ADDRESSES_IN_DOM = """Array.from(document.querySelectorAll('*')).flatMap((element) => Array.from(element.attributes)
  .filter((a) => /^(on|src|href|xlink:href|action|data|style)/i.test(a.name) && /javascript:|evil\\.example|^on/i
  .test(a.name + ' ' + a.value)).map((a) => `${element.tagName} ${a.name}=${a.value}`))"""


def test_hostile_submissions_feedback_runs_and_requests_nothing(browser, hostile):
    offline = OfflinePage(browser, hostile_page(hostile), height=1600)
    page = offline.page
    expect(page.locator("mjx-container svg").first).to_be_attached(timeout=20_000)
    page.eval_on_selector_all("details", "(elements) => elements.forEach((element) => { element.open = true; })")
    page.wait_for_timeout(500)  # what a toggle, an image error or a refresh would have started
    assert page.title().startswith(expected_title(hostile)) and page.url == offline.url
    expect(page.locator("#notebook-container")).to_contain_text("window.__pwned")  # shown as text, escaped
    assert page.evaluate(ADDRESSES_IN_DOM) == []
    offline.close("feedback-hostile.png")


def expected_title(workdir):
    """The lesson's title, as the page's title starts (the hostile script would replace it)."""
    return hostile_page(workdir).read_text().split("<title>")[1].split(":")[0]


def test_hostile_class_report_runs_and_requests_nothing(browser, hostile):
    offline = OfflinePage(browser, hostile_class_report(hostile), height=1900)
    expect(offline.page.locator("table.flagged")).to_contain_text("window.__pwned")
    assert offline.page.evaluate(ADDRESSES_IN_DOM) == []
    offline.close("class-report-hostile.png")


INJECTED = """<script>window.__pwned = 'inline script'</script><img src="http://evil.example/injected.png">
<img src="x" onerror="window.__pwned = 'handler'"><iframe src="http://evil.example/frame"></iframe>
<div style="background: url(http://evil.example/style.png)">injected</div>"""


@pytest.mark.parametrize("which", ["feedback", "class report"])
def test_policy_stops_active_content_the_sanitiser_would_have_missed(browser, hostile, which, tmp_path):
    """Defence in depth: active content put into a page after it was made, past every sanitiser, is blocked
    by the page's own Content-Security-Policy, while the page's MathJax still typesets."""
    made = hostile_page(hostile) if which == "feedback" else hostile_class_report(hostile)
    page_with_more = tmp_path / "injected.html"
    page_with_more.write_text(made.read_text().replace("<body>", f"<body>{INJECTED}", 1))
    offline = OfflinePage(browser, page_with_more)
    if which == "feedback":
        expect(offline.page.locator("mjx-container svg").first).to_be_attached(timeout=20_000)
    offline.page.wait_for_timeout(500)
    pwned, violations = offline.ran()
    offline.context.close()
    assert pwned == "undefined" and offline.requests == [offline.url] and not offline.dialogs
    blocked = " ".join(violations)
    assert all(directive in blocked for directive in ("script-src-elem", "script-src-attr", "img-src", "frame-src"))
