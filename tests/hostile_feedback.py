"""A hostile submission's feedback page, made by the course's real feedback path with no kernel run.

The grading course is corso's (``GradingCourse``): the lesson added, the submission placed where nbgrader
collects it (``submit``), its autograded notebook recorded as a grading run records one (``record``: nbgrader's
SaveAutoGrades reads the points from it) and the page made by nbgrader's GenerateFeedback with the course's
``nbgrader_config.py`` (``feedback``). So the page does not depend on how a kernel is run or judged.

The submission carries every kind of active content a notebook can (scripts, event handlers, ``javascript:``
links, frames, external images, stylesheets and CSS ``url()``, SVG with script, JavaScript and widget outputs,
output metadata that nbconvert turns into file names and iframes, raw HTML and TeX links in a Markdown cell, a
forged graded cell, a copy of a hidden test line disguised with invisible and look-alike characters). The
autograded notebook carries what a grading kernel could print, raise or name: none of it may reach the page.
"""

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from project import ROOT
from submissions import disguised, exercises, filled_release

from corso.course import GradingCourse
from corso.exercises import FAILED, PASSED
from corso.grading import class_report
from corso.grading.collect import Submission
from corso.grading.feedback import hidden_test_lines
from corso.grading.report import Report, class_report_path
from corso.lessons import Lesson, nbgrader_meta

LESSON = Lesson(ROOT, "01-tensors")
SOURCE = nbformat.read(LESSON.source, as_version=4)
STUDENT = "mallory"
LANGUAGE = "en"
EVIL = "http://evil.example"  # every address the submission names: none may be requested
STUDENT_MARK = "STUDENT-OWN-OUTPUT"  # printed when the student ran the notebook: on the page
GRADER_MARK = "GRADER-KERNEL-OUTPUT"  # printed, raised or named by the grading kernel: never on the page
HIDDEN_LINE = next(line for line in hidden_test_lines(SOURCE) if len(line) >= 20)
# The grader's verdict on the first test, bilingual; it quotes what the answer returned, markup included.
GRADER_MESSAGE = ("valori errati: trovato '<script>window.__pwned = 1</script>' / "
                  "wrong values: found '<img src=x onerror=\"window.__pwned = 1\">'")
ANSWER, (FIRST_TEST, *_) = next(iter(exercises(LESSON).items()))  # the first exercise and its first test

HTML_ATTACKS = f"""<script>window.__pwned = 'script'; document.title = 'pwned'</script>
<img src="x" onerror="window.__pwned = 'onerror'">
<a href="javascript:window.__pwned = 'link'">click</a>
<iframe src="{EVIL}/frame.html"></iframe>
<img src="{EVIL}/pixel.png">
<div style="background-image: url({EVIL}/style.png)">styled</div>
<style>body {{ background: url({EVIL}/sheet.png) }}</style>
<link rel="stylesheet" href="{EVIL}/sheet.css">
<object data="{EVIL}/object"></object><embed src="{EVIL}/embed">
<video src="{EVIL}/video.mp4" autoplay></video>
<form action="{EVIL}/form"><input name="q"><button>send</button></form>
<svg><script>window.__pwned = 'inline svg'</script><image href="{EVIL}/svg.png"/></svg>
<meta http-equiv="refresh" content="0; url={EVIL}/refresh">
<base href="{EVIL}/">
<details open ontoggle="window.__pwned = 'ontoggle'"><summary>details</summary></details>
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned = 'mutation'">
</style></mglyph></table></mtext></math>
"""
SVG_ATTACK = f"""<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned = 'svg onload'" width="10" height="10">
<script>window.__pwned = 'svg script'</script><image href="{EVIL}/svg-image.png" width="10" height="10"/></svg>"""
MARKDOWN_ATTACK = f"""## Notes <script>window.__pwned = 'markdown script'</script>

<img src=x onerror="window.__pwned = 'markdown onerror'"> [a link](javascript:window.__pwned='markdown-link')
![pixel]({EVIL}/markdown.png) ![attached](attachment:page.html) <iframe src="{EVIL}/markdown-frame"></iframe>

TeX that links and styles: $\\href{{javascript:window.__pwned=1}}{{x}} + \\style{{background:url({EVIL}/t.png)}}{{y}}$

{disguised(HIDDEN_LINE)}
"""
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def hostile_outputs():
    """What the student's own run of the notebook left in an answer cell, every output an attack."""
    return [
        new_output("stream", name="stdout", text=f"{STUDENT_MARK}\n{disguised(HIDDEN_LINE)}\n"),
        new_output("display_data", data={"text/html": HTML_ATTACKS, "text/plain": "html"}),
        new_output("display_data", data={"application/javascript": "window.__pwned = 'javascript output'",
                                         "text/plain": "javascript"}),
        new_output("display_data", data={"image/svg+xml": SVG_ATTACK}),
        new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {
            "model_id": "m", "version_major": 2, "version_minor": 0}, "text/plain": "widget"}),
        new_output("display_data", data={"text/markdown": f"<img src=x onerror=\"window.__pwned = 'md output'\">"
                                                          f" ![pixel]({EVIL}/md-output.png)"}),
        new_output("display_data", data={"text/html": "<script>window.__pwned = 'isolated'</script>",
                                         "image/png": PNG},
                   metadata={"text/html": {"isolated": True}, "filenames": {"image/png": f"{EVIL}/file.png"}}),
        new_output("error", ename="<script>window.__pwned = 'ename'</script>",
                   evalue="<img src=x onerror=\"window.__pwned = 'evalue'\">",
                   traceback=["<script>window.__pwned = 'traceback'</script>"]),
    ]


def hostile_submission(path):
    """Write the hostile notebook to ``path``: every answer right, and the attacks above."""
    nb = nbformat.read(filled_release(LESSON, LANGUAGE, path), as_version=4)
    answer = next(cell for cell in nb.cells if nbgrader_meta(cell).get("grade_id") == ANSWER)
    answer.outputs = hostile_outputs()
    notes = new_markdown_cell(MARKDOWN_ATTACK, attachments={"page.html": {"text/html": base64.b64encode(
        b"<script>window.__pwned = 'attachment'</script>").decode()}})
    forged = new_code_cell("print('full marks')", metadata={"nbgrader": {
        "grade": True, "grade_id": "forged", "points": 100, "locked": False, "solution": False}})
    marker = new_code_cell("### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS")
    nb.cells[1:1] = [notes, forged, marker]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                             "version_minor": 0}}
    nbformat.write(nb, path)
    return path


def graded_notebook(submitted):
    """The autograded notebook as a grading run records it: the test cells as the gradebook has them (hidden
    tests in), the grader's verdicts in the metadata, and outputs of the grading kernel, which the page must
    not show: what it printed (a hidden line among it), raised and named."""
    nb = nbformat.read(submitted, as_version=4)
    tests = {nbgrader_meta(cell)["grade_id"]: cell.source for cell in SOURCE.cells
             if nbgrader_meta(cell).get("grade") and cell.cell_type == "code"}
    verdicts = {}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id == ANSWER:
            cell.outputs = [new_output("stream", name="stdout", text=f"{GRADER_MARK}\n{HIDDEN_LINE}\n")]
        if grade_id in tests:
            cell.source = tests[grade_id]
            cell.outputs = [new_output("stream", name="stdout", text=f"{GRADER_MARK} {HIDDEN_LINE}\n")]
            verdicts[grade_id] = {"status": PASSED, "message": ""}
    verdicts[FIRST_TEST] = {"status": FAILED, "message": GRADER_MESSAGE}
    first = next(cell for cell in nb.cells if nbgrader_meta(cell).get("grade_id") == FIRST_TEST)
    first.outputs.append(new_output("error", ename=f"{GRADER_MARK}Error", evalue=f"{GRADER_MARK}: {HIDDEN_LINE}",
                                    traceback=[f"{GRADER_MARK}Error: {HIDDEN_LINE}"]))
    for cell in nb.cells:  # grading knows no such cell
        if nbgrader_meta(cell).get("grade_id") == "forged":
            del cell.metadata["nbgrader"]
    nb.metadata["corso"] = {"review": [], "verdicts": verdicts}
    return nb


def hostile_grading(folder):
    """A grading course in ``folder`` where the hostile submission was graded and its page made; its folder."""
    course = GradingCourse(ROOT, folder / "grading")
    course.add_lesson(LESSON)
    submitted = hostile_submission(folder / f"{STUDENT}.ipynb")
    course.submit(LESSON, STUDENT, submitted)
    records = folder / "records"
    (records / STUDENT / LESSON.id).mkdir(parents=True)
    nbformat.write(graded_notebook(submitted), records / STUDENT / LESSON.id / f"{LESSON.slug}.ipynb")
    course.record(LESSON, STUDENT, records)
    course.feedback(LESSON, STUDENT)
    return course.workdir


def feedback_page(workdir):
    return workdir / "feedback" / STUDENT / LESSON.id / f"{LESSON.slug}.html"


def hostile_class_report(workdir):
    """The class report of the grading in ``workdir`` (``hostile_grading``), the student's name and problem
    lines attacks too; its path."""
    course = GradingCourse(ROOT, workdir)
    submission = Submission(STUDENT, None, language=LANGUAGE, name=HTML_ATTACKS, scores=course.scores(LESSON, STUDENT),
                            problems=[f"REVIEW {HTML_ATTACKS}", f"not graded: {MARKDOWN_ATTACK}"])
    max_points = {nbgrader_meta(cell)["grade_id"]: nbgrader_meta(cell)["points"] for cell in SOURCE.cells
                  if nbgrader_meta(cell).get("grade")}
    report = Report([submission], max_points, [], workdir / f"grades-{LESSON.id}.csv", 0)
    path = class_report_path(report)
    path.write_text(class_report.render(report, LESSON))
    return path
