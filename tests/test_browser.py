"""End to end, in a real browser: what a student sees and does in JupyterLab with a released lesson.

A JupyterLab is started on a temporary copy of ``release/`` (and ``nbgrader_config.py``), Debian's
Chromium is driven by Playwright, and each step is saved as a screenshot in ``test-artifacts/browser/``.
With ``CORSO_SCREENSHOTS=docs/screenshots`` (a folder, relative to the repository root) the screenshots
shown in the README are refreshed too.

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``); deselect with ``-m "not browser"``.
"""

import os
import re
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect, sync_playwright

from corso.language import cell_language
from corso.lessons import SOLUTION_MARKERS, Lesson, nbgrader_meta
from jupyterlab import VIEWPORT, JupyterLab, NotebookPage, children_matching, launch_chromium

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSON = Lesson(ROOT, "01-tensors")
EXERCISE = "make_grid"  # the answer cell the Italian student solves
CRASH = "import os\nos._exit(1)  # the kernel process exits: a crash\n"

# The screenshots the README shows: {(test prefix, step): stable name in $CORSO_SCREENSHOTS}.
README_SCREENSHOTS = {
    ("it", "exercise-fails"): "it-exercise-fails.png",
    ("it", "validate"): "it-validate.png",
    ("en", "exercise-fails"): "en-notebook.png",
}

pytestmark = pytest.mark.browser


# ---------------------------------------------------------------------------------------------------
# What the lesson says (read from the files, never hard-coded)

def release_path(language, lesson=LESSON):
    return lesson.release(language).relative_to(lesson.root).as_posix()


def headings(cells, language):
    """The Markdown headings of the prose cells in ``language``, as the page renders them (no `, *)."""
    found = []
    for cell in cells:
        if cell.cell_type != "markdown" or cell_language(cell) != language:
            continue
        fenced = False
        for line in cell.source.splitlines():
            fenced ^= line.lstrip().startswith("```")
            if not fenced and re.match(r"#{1,4} ", line):
                found.append(re.sub(r"[`*]", "", line.lstrip("#")).strip())
    return found


def index_of(cells, grade_id):
    return next(i for i, cell in enumerate(cells) if nbgrader_meta(cell).get("grade_id") == grade_id)


def graded_tests(cells):
    """{grade id: first line} of every graded code cell (the visible tests a student can run)."""
    return {nbgrader_meta(cell)["grade_id"]: cell.source.splitlines()[0] for cell in cells
            if cell.cell_type == "code" and nbgrader_meta(cell).get("grade")}


def answer_cells(cells):
    return [i for i, cell in enumerate(cells) if cell.cell_type == "code" and nbgrader_meta(cell).get("solution")]


def solved_source(grade_id):
    """The answer cell of the source lesson with its solution in place of the stub (markers dropped)."""
    cells = nbformat.read(LESSON.source, as_version=4).cells
    cell = cells[index_of(cells, grade_id)]
    assert SOLUTION_MARKERS[0] in cell.source
    return "\n".join(line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def publish(screenshots, prefix):
    """Copy the README's screenshots to $CORSO_SCREENSHOTS, when it is set."""
    target = os.environ.get("CORSO_SCREENSHOTS")
    if not target:
        return
    folder = Path(target) if Path(target).is_absolute() else ROOT / target
    folder.mkdir(parents=True, exist_ok=True)
    for (test, step), name in README_SCREENSHOTS.items():
        if test == prefix:
            shutil.copyfile(screenshots[step], folder / name)


# ---------------------------------------------------------------------------------------------------
# Fixtures: one server and one browser for the module, a fresh browser context for each test

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course folder holding a copy of the release and the nbgrader configuration."""
    if not LESSON.release("it").is_file():
        pytest.fail(f"{LESSON.release('it')} is missing: build the course first (make build)")
    root = tmp_path_factory.mktemp("browser") / "course"
    shutil.copytree(ROOT / "release", root / "release")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    return root


@pytest.fixture(scope="module")
def lab(course):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "jupyterlab.log"
    log.unlink(missing_ok=True)
    server = JupyterLab(course, state=course.parent / "state", log_path=log)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert not server.leftovers, f"processes outlived the server (killed): {server.leftovers}"
    left = children_matching(os.getpid(), ("jupyter", "ipykernel"))
    assert not left, f"processes left behind: {left}"


@pytest.fixture(scope="module")
def browser():
    playwright = sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
    left = children_matching(os.getpid(), ("chromium", "playwright"))
    assert not left, f"browser processes left behind: {left}"


@pytest.fixture
def context(browser, request):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        for number, page in enumerate(context.pages):  # how the page looked at the end, also on failure
            try:
                page.screenshot(path=ARTIFACTS / f"{request.node.name}-last-{number}.png", timeout=10_000)
            except Exception:  # a crashed page: nothing to show
                pass
        context.close()


# ---------------------------------------------------------------------------------------------------
# The tests

def test_italian_interface_is_available(lab):
    try:
        version("jupyterlab-language-pack-it-IT")
    except PackageNotFoundError:
        pytest.fail("pip install jupyterlab-language-pack-it-IT: Italian students get JupyterLab in Italian")
    packs = lab.request("GET", "lab/api/translations")["data"]
    assert "it_IT" in packs, f"JupyterLab lists no Italian language pack: {sorted(packs)}"
    assert packs["it_IT"]["nativeName"].lower().startswith("italiano")
    catalog = lab.translations("it_IT")
    assert catalog.get("Name") not in (None, "Name"), "the Italian pack does not translate the file browser"


def test_italian_student_runs_solves_and_validates(lab, context, course):
    path = release_path("it")
    cells = nbformat.read(course / path, as_version=4).cells
    source_cells = nbformat.read(LESSON.source, as_version=4).cells
    answer = index_of(cells, EXERCISE)
    try_it, tests = answer + 1, index_of(cells, f"{EXERCISE}_tests")
    next_answer = next(i for i in answer_cells(cells) if i > answer)

    lab.set_locale("it_IT")
    notebook = NotebookPage.open(context, lab, path, ARTIFACTS, "it")

    # 1. The Italian notebook in the Italian interface: Italian prose shown, English not.
    italian, english = headings(source_cells, "it"), headings(source_cells, "en")
    shown = notebook.page.locator(".jp-RenderedMarkdown :is(h1, h2, h3, h4)")
    expect(shown).to_have_count(len(italian))
    assert notebook.headings() == italian
    assert not set(notebook.headings()) & (set(english) - set(italian)), "English prose is shown"
    # JupyterLab in Italian (the language pack translates part of the interface: not the menu bar).
    assert lab.translations("it_IT")["Name"] in notebook.file_browser_columns(), notebook.file_browser_columns()
    notebook.screenshot("opened")

    # 2. Restart and run all: the run stops at the first exercise, which is not solved yet.
    notebook.restart_and_run_all()
    assert "NotImplementedError" in notebook.error_output(try_it)
    assert notebook.prompt(tests) == "[ ]:", "the run should have stopped at the first error"
    notebook.scroll_to(answer - 1)  # the exercise's text, its answer cell, the error
    notebook.screenshot("exercise-fails")

    # 3. The student types the solution and runs all again: this exercise's tests pass, the next fails.
    notebook.set_source(answer, solved_source(EXERCISE))
    notebook.restart_and_run_all()
    assert notebook.error_output(try_it) == ""
    assert re.fullmatch(r"\[\d+\]:", notebook.prompt(tests)), "the visible tests did not run"
    assert notebook.error_output(tests) == "", f"the visible tests fail: {notebook.error_output(tests)}"
    assert "NotImplementedError" in notebook.error_output(next_answer + 1)
    notebook.scroll_to(answer - 1)
    notebook.screenshot("exercise-passes")

    # 4. Validate (nbgrader saves, then runs the notebook in a fresh kernel): the other tests still fail.
    dialog = notebook.validate()
    report = dialog.inner_text()
    assert "The following cell failed:" in report, report
    for grade_id, first_line in graded_tests(cells).items():
        if grade_id == f"{EXERCISE}_tests":
            assert first_line not in report, f"{grade_id} passes but is reported as failing"
        else:
            assert first_line in report, f"{grade_id} should be reported as failing"
    assert "NotImplementedError" in report
    notebook.screenshot("validate")
    notebook.close_dialog()
    publish(notebook.screenshots, "it")


def test_english_student_runs_and_validates(lab, context, course):
    path = release_path("en")
    cells = nbformat.read(course / path, as_version=4).cells
    source_cells = nbformat.read(LESSON.source, as_version=4).cells
    first_answer = answer_cells(cells)[0]

    lab.set_locale("en")
    notebook = NotebookPage.open(context, lab, path, ARTIFACTS, "en")

    english, italian = headings(source_cells, "en"), headings(source_cells, "it")
    expect(notebook.page.locator(".jp-RenderedMarkdown :is(h1, h2, h3, h4)")).to_have_count(len(english))
    assert notebook.headings() == english
    assert not set(notebook.headings()) & (set(italian) - set(english)), "Italian prose is shown"
    assert "Name" in notebook.file_browser_columns(), notebook.file_browser_columns()
    notebook.screenshot("opened")

    notebook.restart_and_run_all()
    assert "NotImplementedError" in notebook.error_output(first_answer + 1)
    notebook.scroll_to(first_answer - 1)
    notebook.screenshot("exercise-fails")

    report = notebook.validate().inner_text()
    for grade_id, first_line in graded_tests(cells).items():
        assert first_line in report, f"{grade_id} should be reported as failing"
    notebook.screenshot("validate")
    notebook.close_dialog()
    publish(notebook.screenshots, "en")


def test_answer_that_kills_the_kernel_is_reported(lab, context, course):
    """Bad input: an answer that makes the kernel process exit. The page says so; nothing hangs."""
    path = (Path(release_path("it")).parent / "crash.ipynb").as_posix()
    shutil.copyfile(course / release_path("it"), course / path)
    cells = nbformat.read(course / path, as_version=4).cells
    answer = index_of(cells, EXERCISE)

    lab.set_locale("it_IT")
    italian = lab.translations("it_IT")
    notebook = NotebookPage.open(context, lab, path, ARTIFACTS, "crash")
    notebook.set_source(answer, CRASH.rstrip("\n"))

    notebook.restart_and_run_all(wait=False)
    died = notebook.page.locator(".jp-Dialog", has_text=italian.get("Kernel Restarting", "Kernel Restarting"))
    died.wait_for(state="visible", timeout=120_000)
    message = italian.get("The kernel for %1 appears to have died. It will restart automatically.")
    assert message.split("%1")[0].strip() in died.inner_text(), died.inner_text()
    notebook.screenshot("kernel-died")
    notebook.close_dialog()

    notebook.wait_kernel_idle()  # restarted automatically
    expect(notebook.page.locator(".jp-InputPrompt", has_text="*")).to_have_count(0, timeout=60_000)
    assert {"dead", "autorestarting", "restarting"} & set(notebook.run_statuses()), notebook.run_statuses()
    notebook.screenshot("restarted")

    report = notebook.validate().inner_text()
    assert "There was an error running the validate command" in report, report
    assert "DeadKernelError" in report or "Kernel died" in report, report
    notebook.screenshot("validate")
    notebook.close_dialog()
