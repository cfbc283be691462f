"""End to end, in a real browser: what a student sees and does in JupyterLab with a released lesson.

A JupyterLab is started on a temporary copy of ``release/`` (and ``nbgrader_config.py``), Debian's
Chromium is driven by Playwright, and each step is saved as a screenshot in ``test-artifacts/browser/``. (This
is the course's own environment: what students see, the student edition, is tested in
``test_edition_browser.py``, whose screenshots the README shows.)

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``; ``CORSO_CHROMIUM`` names another installed
Chromium-based browser) and takes about 70 s on 2 cores; deselect with ``-m "not browser"``.
"""

import os
import re
import shutil
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import nbformat
import pytest
from labpage import VIEWPORT, JupyterLab, NotebookPage, children_matching, chromium
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from corso.language import cell_language
from corso.lessons import SOLUTION_MARKERS, Lesson, nbgrader_meta

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSON = Lesson(ROOT, "01-tensors")
EXERCISE = "make_grid"  # the answer cell the Italian student solves
CRASH = "import os\nos._exit(1)  # the kernel process exits: a crash"

# The screenshots the README shows: {(test prefix, step): stable name in $CORSO_SCREENSHOTS}.

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


def openings(cells, language, length=30, shortest=10):
    """The first words of each prose cell in ``language`` (Markdown marks dropped, at least ``shortest``
    characters), to look for on the page."""
    found = set()
    for cell in cells:
        if cell.cell_type == "markdown" and cell_language(cell) == language and cell.source.strip():
            first = re.sub(r"[`*#]", "", cell.source.strip().splitlines()[0]).strip()
            if len(first) >= shortest:
                found.add(first[:length])
    return found


def index_of(cells, grade_id):
    return next(i for i, cell in enumerate(cells) if nbgrader_meta(cell).get("grade_id") == grade_id)


def answer_cells(cells):
    return [i for i, cell in enumerate(cells) if cell.cell_type == "code" and nbgrader_meta(cell).get("solution")]


def graded_test_cells(cells):
    return [i for i, cell in enumerate(cells) if cell.cell_type == "code" and nbgrader_meta(cell).get("grade")]


def solved_source(grade_id):
    """The answer cell of the source lesson with its solution in place of the stub (markers dropped)."""
    cells = nbformat.read(LESSON.source, as_version=4).cells
    cell = cells[index_of(cells, grade_id)]
    assert SOLUTION_MARKERS[0] in cell.source
    return "\n".join(line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def assert_prose_in(notebook, source_cells, language, not_in):
    """The page shows the prose of ``language`` (every heading, in order; each cell's first words), and
    none of the prose written only in the other language."""
    expected = headings(source_cells, language)
    shown = notebook.page.locator(".jp-RenderedMarkdown :is(h1, h2, h3, h4)")
    expect(shown).to_have_count(len(expected), timeout=30_000)  # Markdown renders after the page loads
    assert notebook.headings() == expected
    text = notebook.text()
    missing = [words for words in openings(source_cells, language) if words not in text]
    assert not missing, f"{language} prose not shown: {missing}"
    # The other language's openings that are whole phrases: a short heading may be a name the prose quotes (the
    # Italian text cites PyTorch's page "Type promotion"); headings are compared whole above.
    other = [words for words in openings(source_cells, not_in, shortest=30) - openings(source_cells, language)
             if words in text]
    assert not other, f"{not_in} prose shown in the {language} notebook: {other}"


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
    if server.leftovers:  # stopped by us after the server went: not a failure of the course, but say so
        warnings.warn(f"killed processes that outlived the JupyterLab server: {server.leftovers}", stacklevel=1)
    left = children_matching(os.getpid(), ("jupyter", "ipykernel"))
    assert not left, f"processes left behind: {left}"


@pytest.fixture(scope="module")
def browser():
    with chromium() as started:
        yield started


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
            except PlaywrightError:  # a crashed or closed page: nothing to show
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


def test_italian_student_runs_and_solves(lab, context, course):
    path = release_path("it")
    cells = nbformat.read(course / path, as_version=4).cells
    source_cells = nbformat.read(LESSON.source, as_version=4).cells
    answer = index_of(cells, EXERCISE)
    try_it, tests = answer + 1, index_of(cells, f"{EXERCISE}_tests")
    next_tests = next(i for i in graded_test_cells(cells) if i > tests)

    lab.set_locale("it_IT")
    notebook = NotebookPage.open(context, lab, path, ARTIFACTS, "it")

    # 1. The Italian notebook in the Italian interface: Italian prose shown, English not.
    assert_prose_in(notebook, source_cells, "it", not_in="en")
    # JupyterLab in Italian (the language pack translates part of the interface: not the menu bar).
    assert lab.translations("it_IT")["Name"] in notebook.file_browser_columns(), notebook.file_browser_columns()
    notebook.screenshot("opened")

    # 2. Restart and run all: the try-it cell says the answer is not written yet, and the run stops at the
    #    first exercise's tests.
    notebook.restart_and_run_all()
    assert notebook.error_output(try_it) == ""
    assert "NotImplementedError" in notebook.error_output(tests)
    after_tests = next(i for i in range(tests + 1, len(cells)) if cells[i].cell_type == "code")
    assert notebook.prompt(after_tests) == "[ ]:", "the run should have stopped at the first error"
    notebook.scroll_to(answer - 1)  # the exercise's text, its answer cell, the error
    notebook.screenshot("exercise-fails")

    # 3. The student types the solution and runs all again: this exercise's tests pass, the next fails.
    notebook.set_source(answer, solved_source(EXERCISE))
    notebook.restart_and_run_all()
    assert notebook.error_output(try_it) == ""
    assert re.fullmatch(r"\[\d+\]:", notebook.prompt(tests)), "the visible tests did not run"
    assert notebook.error_output(tests) == "", f"the visible tests fail: {notebook.error_output(tests)}"
    assert "NotImplementedError" in notebook.error_output(next_tests)
    notebook.scroll_to(answer - 1)
    notebook.screenshot("exercise-passes")



def test_english_student_runs_a_lesson(lab, context, course):
    path = release_path("en")
    cells = nbformat.read(course / path, as_version=4).cells
    source_cells = nbformat.read(LESSON.source, as_version=4).cells
    first_answer, first_tests = answer_cells(cells)[0], graded_test_cells(cells)[0]

    lab.set_locale("en")
    notebook = NotebookPage.open(context, lab, path, ARTIFACTS, "en")

    assert_prose_in(notebook, source_cells, "en", not_in="it")
    assert "Name" in notebook.file_browser_columns(), notebook.file_browser_columns()
    notebook.screenshot("opened")

    notebook.restart_and_run_all()
    assert "NotImplementedError" in notebook.error_output(first_tests)
    notebook.scroll_to(first_answer - 1)
    notebook.screenshot("exercise-fails")



def test_answer_that_kills_the_kernel_is_reported(lab, context, course):
    """Bad input: an answer that makes the kernel process exit. The page says so; nothing hangs."""
    path = (Path(release_path("it")).parent / "crash.ipynb").as_posix()
    shutil.copyfile(course / release_path("it"), course / path)
    cells = nbformat.read(course / path, as_version=4).cells
    answer = index_of(cells, EXERCISE)

    lab.set_locale("it_IT")
    italian = lab.translations("it_IT")
    notebook = NotebookPage.open(context, lab, path, ARTIFACTS, "crash")
    notebook.set_source(answer, CRASH)

    notebook.restart_and_run_all(wait=False)
    # JupyterLab's words, in English or in Italian (this dialog is not translated by the language pack yet).
    title = "Kernel Restarting"
    died = notebook.page.locator(".jp-Dialog", has_text=re.compile(f"{title}|{italian.get(title, title)}"))
    with notebook.timed("the kernel dies: dialog"):
        died.wait_for(state="visible", timeout=60_000)
    message = "The kernel for %1 appears to have died. It will restart automatically."
    shown = died.inner_text()
    assert any(m.replace("%1", path) in shown for m in (message, italian.get(message, message))), shown
    notebook.screenshot("kernel-died")
    notebook.close_dialog()

    with notebook.timed("the kernel restarts by itself: idle, nothing queued"):
        notebook.wait_kernel_idle()
        expect(notebook.page.locator(".jp-InputPrompt", has_text="*")).to_have_count(0, timeout=60_000)
    # The server's side of the story (the toolbar's status flickers too fast to be a reliable witness).
    assert "restarting kernel" in lab.log_path.read_text(), "the server did not restart a dead kernel"
    notebook.screenshot("restarted")

