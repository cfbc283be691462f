"""The student edition in a real browser: JupyterLab started from the installed edition ("both" languages),
as its README says. Students see Validate and never the instructor's tools (Create Assignment, Formgrader,
Course List, the Nbgrader menu); Validate's results are worded in Italian and English.

Needs /usr/bin/chromium (apt-get install -y chromium); deselect with -m "not browser".
"""

import json
import os

import nbformat
import pytest
from labpage import VIEWPORT, JupyterLab, NotebookPage, ServerError, chromium
from project import ROOT
from test_edition import install_edition

from corso import edition
from corso.lessons import find_lessons, nbgrader_meta

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts" / "edition-browser"
LESSON = find_lessons(ROOT)[0]
CRASH = "import os\nos._exit(1)  # the kernel process exits: a crash"


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


def crash_copy(folder, language):
    """A copy of the lesson whose first answer ends the kernel process."""
    nb = nbformat.read(folder / language / LESSON.id / f"{LESSON.slug}.ipynb", as_version=4)
    answer = next(cell for cell in nb.cells if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"))
    answer.source = CRASH
    path = f"{language}/{LESSON.id}/crash.ipynb"
    nbformat.write(nb, folder / path)
    return path


def assert_student_only(notebook, lab):
    page = notebook.page
    assert notebook.toolbar_button("notebook:restart-run-all").count() == 1  # the toolbar is drawn
    assert page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button").is_visible()
    menus = [text.strip() for text in page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_text_contents()]
    assert len(menus) >= 5 and "Nbgrader" not in menus, menus
    assert page.locator("#jp-mainmenu-nbgrader").count() == 0
    assert page.locator("#nbgrader-create_assignemnt").count() == 0  # nbgrader's id for the side panel
    assert page.locator('.lm-TabBar-tab[title*="Create Assignment"]').count() == 0
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    disabled = config["disabledExtensions"]
    for name in edition.DISABLED_LAB_EXTENSIONS:
        assert name in disabled, disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    with pytest.raises(ServerError, match="404"):  # the formgrader's server side is off too
        lab.request("GET", "formgrader")


def test_italian_student_sees_validate_only_and_italian_results(student, browser):
    folder, lab = student
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        # No locale set: the Italian edition opens JupyterLab in Italian by itself.
        notebook = NotebookPage.open(context, lab, f"it/{LESSON.id}/{LESSON.slug}.ipynb", ARTIFACTS, "it")
        italian = lab.translations("it_IT")
        assert italian["Name"] in notebook.file_browser_columns(), notebook.file_browser_columns()
        assert_student_only(notebook, lab)
        notebook.screenshot("opened")

        report = notebook.validate().inner_text()
        assert "Test non superato / Test failed" in report, report
        assert "NotImplementedError" in report
        notebook.screenshot("validate")
        notebook.close_dialog()

        crashed = NotebookPage.open(context, lab, crash_copy(folder, "it"), ARTIFACTS, "it-crash")
        report = " ".join(crashed.validate().inner_text().split())  # the message is wrapped to fit
        assert "Il kernel si è fermato durante la verifica" in report, report
        assert "The kernel stopped during validation" in report
        assert "Traceback" not in report and "DeadKernelError" not in report, report
        crashed.screenshot("validate")
        crashed.close_dialog()
    finally:
        context.close()


def test_english_student_sees_validate_only(student, browser):
    folder, lab = student
    lab.set_locale("en")
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        notebook = NotebookPage.open(context, lab, f"en/{LESSON.id}/{LESSON.slug}.ipynb", ARTIFACTS, "en")
        assert "Name" in notebook.file_browser_columns()
        assert_student_only(notebook, lab)
        report = notebook.validate().inner_text()
        assert "Test failed" in report and "The following cell failed:" in report, report
        notebook.screenshot("validate")
        notebook.close_dialog()
    finally:
        context.close()
