"""The student edition in a real browser: JupyterLab started from the installed edition ("both" languages), as
its README says. Students see the course's Validate button and never the instructor's tools (Create Assignment,
Formgrader, Course List, the Nbgrader menu); Validate answers exercise by exercise, in the notebook's language
only, for a notebook not answered yet, one exercise solved, a wrong dtype, everything solved, and a crash.

What each dialog must say is computed here from the lesson's source (titles), ``corso.exercises.LABELS``
(words) and ``corso.checks`` (the wrong dtype's message); nothing is copied from the dialog. Needs
/usr/bin/chromium (apt-get install -y chromium); deselect with -m "not browser". With
``CORSO_SCREENSHOTS=docs/screenshots`` the README's Validate screenshots are refreshed.
"""

import json
import os

import nbformat
import pytest
import torch
from labpage import VIEWPORT, JupyterLab, NotebookPage, ServerError, chromium, publish
from project import ROOT
from submissions import filled_release
from test_edition import install_edition

from corso import check, checks, edition
from corso.exercises import AWAITING, FAILED, KERNEL_DIED, LABELS, NOT_ANSWERED, PASSED, exercises, split_message
from corso.lessons import find_lessons, nbgrader_meta, read_source
from corso.running import KERNEL_DIED_CELL

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts" / "edition-browser"
LESSON = find_lessons(ROOT)[0]
FIRST = "make_grid"  # the first exercise's answer cell
WRONG_DTYPE = ('def make_grid(rows, cols):\n'
               '    return torch.arange(rows * cols, dtype=torch.int64).view(rows, cols)')
CRASH = "import os\nos._exit(1)  # the kernel process exits: a crash"
README_SCREENSHOTS = {("it", "unanswered"): "it-validate-unanswered.png", ("it", "wrong-dtype"): "it-validate.png",
                      ("en", "one-solved"): "en-validate.png"}


class EditionLab(JupyterLab):
    """A JupyterLab run by the student's environment (its python), from the edition's folder."""

    def __init__(self, root, state, log_path, python, env):
        super().__init__(root, state, log_path)
        self.python, self.student_env = python, env

    def environment(self):
        env = super().environment()
        env["PATH"] = f"{self.python.parent}{os.pathsep}{self.student_env['PATH']}"
        env["HOME"] = self.student_env["HOME"]
        return env

    def command(self):
        return [str(self.python), *super().command()[1:]]


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    made = edition.make_edition(ROOT, "both", tmp_path_factory.mktemp("edition"))
    folder, python, env = install_edition(made, tmp_path_factory.mktemp("student"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lab = EditionLab(folder, folder.parent / "state", ARTIFACTS / "jupyterlab.log", python, env)
    lab.start()
    try:
        yield folder, lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as started:
        yield started


def notebook_as(folder, language, state):
    """The lesson's notebook in one of the states a student meets, written next to the release; its path."""
    release = folder / language / LESSON.id / f"{LESSON.slug}.ipynb"
    path = release.with_name(f"{state}.ipynb")
    if state == "unanswered":
        path.write_bytes(release.read_bytes())
        return path.relative_to(folder).as_posix()
    nb = nbformat.read(filled_release(LESSON, language, path), as_version=4)
    stubs = {nbgrader_meta(cell).get("grade_id"): cell.source for cell in nbformat.read(release, as_version=4).cells}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if state == "one-solved" and nbgrader_meta(cell).get("solution") and grade_id != FIRST:
            cell.source = stubs[grade_id]
        elif grade_id == FIRST and state in ("wrong-dtype", "crash"):
            cell.source = WRONG_DTYPE if state == "wrong-dtype" else CRASH
    nbformat.write(nb, path)
    return path.relative_to(folder).as_posix()


def expected(language, state):
    """[(title, status word, message)] the dialog must show for ``state``, in ``language``."""
    rows = []
    for number, (grade_id, title, tests) in enumerate(exercises(read_source(LESSON), language)):
        status, message = expected_status(number, tests == [grade_id], state, language)
        rows.append((title.replace("`", ""), LABELS[language][status], message))  # `code` is shown as code
    return rows


def expected_status(number, written, state, language):
    """(status, message) of exercise ``number`` (``written``: a written answer) in ``state``."""
    if written:  # the instructor grades it: no kernel decides, only whether the stub was replaced
        return (NOT_ANSWERED if state in ("unanswered", "one-solved") else AWAITING), ""
    if state == "unanswered" or (state == "one-solved" and number > 0):
        return NOT_ANSWERED, ""
    if state == "crash":  # the first answer ends the kernel: nothing after it runs
        return KERNEL_DIED, split_message(KERNEL_DIED_CELL.evalue, language)
    if state == "wrong-dtype" and number == 0:
        return FAILED, split_message(wrong_dtype_message(), language)
    return PASSED, ""


def wrong_dtype_message():
    grid = torch.arange(12, dtype=torch.int64).view(3, 4)
    return checks.message("make_grid(3, 4)", checks.compare(checks.observe(grid), checks.observe(grid.float())))


def shown(dialog):
    """[(title, status word, message)] as the dialog shows them."""
    return [(item.locator(".corso-check-title").inner_text().strip(),
             item.locator(".corso-check-status").inner_text().strip(),
             " ".join(item.locator(".corso-check-message").all_inner_texts()).strip())
            for item in dialog.locator(".corso-check-list > li").all()]


def assert_student_only(notebook, lab):
    page = notebook.page
    assert notebook.toolbar_button("notebook:restart-run-all").count() == 1  # the toolbar is drawn
    assert page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .corso-validate").is_visible()
    assert page.locator(".validate-button").count() == 0  # nbgrader's own Validate gave way to the course's
    menus = [text.strip() for text in page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_text_contents()]
    assert len(menus) >= 5 and "Nbgrader" not in menus, menus
    assert page.locator("#jp-mainmenu-nbgrader").count() == 0
    assert page.locator("#nbgrader-create_assignemnt").count() == 0  # nbgrader's id for the side panel
    assert page.locator('.lm-TabBar-tab[title*="Create Assignment"]').count() == 0
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    for name in edition.DISABLED_LAB_EXTENSIONS:
        assert name in config["disabledExtensions"], config["disabledExtensions"]
    with pytest.raises(ServerError, match="404"):  # the formgrader's server side is off too
        lab.request("GET", "formgrader")


def assert_interface_language(notebook, lab, language):
    """The menu bar and the file browser's columns in the interface's language: each menu title is a menu word
    of that language in the catalog the edition's language pack serves (the course's build of it)."""
    page = notebook.page
    titles = [text.strip() for text in page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_text_contents()]
    served = lab.translations("it_IT")
    menus = {key.split("\x04", 1)[1]: value for key, value in served.items() if key.startswith("menu\x04")}
    words = set(menus.values()) if language == "it" else set(menus)
    assert len(titles) >= 8 and set(titles) <= words, titles
    columns = " ".join(notebook.file_browser_columns())
    name, modified = ("Name", "Modified") if language == "en" else (served["Name"], served["Modified"])
    assert name in columns and modified in columns, columns
    if language == "it":
        assert "Modified" not in columns and "Edit" not in titles, (titles, columns)


def assert_readable(dialog):
    """Every message wraps inside the dialog (nothing cut on the right), the first one is in view without
    scrolling, and each test's source stays folded until asked for."""
    for box in dialog.locator(".corso-check-message").all():
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "a message is cut on the right"
    first = dialog.locator(".corso-check-message").first
    if first.count():
        body = dialog.locator(".jp-Dialog-body").bounding_box()
        assert first.bounding_box()["y"] < body["y"] + body["height"], "the first message is below the fold"
    sources = dialog.locator("details pre")
    for number in range(sources.count()):
        assert not sources.nth(number).is_visible(), "a test's source is shown before the student asks"


def validate_states(context, lab, folder, language, states):
    for state in states:
        notebook = NotebookPage.open(context, lab, notebook_as(folder, language, state), ARTIFACTS,
                                     f"{language}-{state}")
        if state == states[0]:
            assert_student_only(notebook, lab)
            assert_interface_language(notebook, lab, language)
        dialog = notebook.validate()
        assert dialog.locator(".jp-Dialog-header").inner_text().strip() == check.WORDS[language]["title"]
        assert shown(dialog) == expected(language, state), state
        assert check.WORDS[language]["hidden"] in " ".join(dialog.inner_text().split())
        assert_readable(dialog)
        notebook.screenshot("validate")
        if dialog.locator("details summary").count():
            dialog.locator("details summary").first.click()
            assert dialog.locator("details pre").first.is_visible()
        notebook.close_dialog()
        if (language, state) in README_SCREENSHOTS:
            publish(notebook.screenshots, {"validate": README_SCREENSHOTS[language, state]})
        notebook.page.close()


def test_italian_student_validates_exercise_by_exercise_in_italian(student, browser):
    folder, lab = student
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:  # no locale set: the Italian edition opens JupyterLab in Italian by itself
        validate_states(context, lab, folder, "it", ["unanswered", "one-solved", "wrong-dtype", "solved", "crash"])
    finally:
        context.close()
    for path in ("../outside.ipynb", "data/README.md"):  # the check runs notebooks of the edition's folder only
        with pytest.raises(ServerError, match="403"):
            lab.request("POST", "corso/validate", {"path": path})


def test_english_student_validates_exercise_by_exercise_in_english(student, browser):
    folder, lab = student
    lab.set_locale("en")
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        validate_states(context, lab, folder, "en", ["unanswered", "one-solved", "wrong-dtype", "solved"])
    finally:
        context.close()
