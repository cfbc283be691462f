"""Student feedback and the class report, on a small class graded once by corso grade's pipeline
(tests/feedback_class.py): the classifier on the real autograded notebooks, the pages it feeds (the submitted
notebooks, nothing of the grading kernel's), and a written answer graded the way the formgrader grades it,
then the pages made again by ``corso feedback``. A hostile submission's page: tests/test_feedback_page.py.
"""

import hashlib
import html
import re
import shutil

import nbformat
import pytest
from bs4 import BeautifulSoup
from feedback_class import CLASS, EXERCISES, FIRST, HOSTILE, LESSON, SECOND, WRITTEN
from labpage import JupyterLab
from project import ROOT
from submissions import leaked, page_text, secret_lines

from corso import cli
from corso.course import GradingCourse
from corso.exercises import AWAITING, GRADED, NOT_ANSWERED, PASSED, split_message, title_html
from corso.grading import class_report
from corso.grading.feedback import MATHJAX
from corso.grading.outcomes import classify, verdicts
from corso.grading.record import execution_problems
from corso.grading.report import class_report_path, summary
from corso.language import cell_language
from corso.lessons import HIDDEN_TEST_MARKERS

pytestmark = pytest.mark.slow
SOURCE = nbformat.read(LESSON.source, as_version=4)


def course(workdir):
    return GradingCourse(ROOT, workdir)


def outcomes(workdir, student):
    grading = course(workdir)
    return classify(grading.autograded(LESSON, student), SOURCE, grading.scores(LESSON, student))


def page(workdir, student):
    return (workdir / "feedback" / student / LESSON.id / f"{LESSON.slug}.html").read_text()


def headings(language):
    """The first line of every heading cell of ``language`` in the source."""
    return [cell.source.strip().split("\n")[0] for cell in SOURCE.cells
            if cell.cell_type == "markdown" and cell_language(cell) == language and cell.source.startswith("#")]


def test_split_message_keeps_one_language():
    assert split_message("atteso 1 / expected 1", "it") == "atteso 1"
    assert split_message("atteso 1 / expected 1", "en") == "expected 1"
    assert split_message("a / b / c / d", "en") == "c / d"
    assert split_message("no separator", "it") == "no separator"


@pytest.mark.parametrize("student", sorted(CLASS))
def test_each_exercise_gets_the_status_its_answer_earns(feedback_class, student):
    _, workdir = feedback_class
    found = {outcome.grade_id: outcome.status for outcome in outcomes(workdir, student)}
    expected = {answer: CLASS[student].expected.get(answer, PASSED) for answer in EXERCISES}
    assert found == {**expected, **dict.fromkeys(WRITTEN, AWAITING)}


@pytest.mark.parametrize("student", sorted(CLASS))
def test_statuses_agree_with_the_summary_problem_lines(feedback_class, student):
    _, workdir = feedback_class
    grading = course(workdir)
    problems = " ".join(execution_problems(grading.autograded(LESSON, student)))
    for outcome in outcomes(workdir, student):
        for test in outcome.tests:
            assert (f"{test}: not answered" in problems) == (outcome.status == NOT_ANSWERED and test not in WRITTEN)


def test_points_and_titles_come_from_the_gradebook_and_the_source(feedback_class):
    report, workdir = feedback_class
    rossi = next(s for s in report.submissions if s.student == "rossi")
    found = outcomes(workdir, "rossi")
    for outcome in found:
        assert outcome.score == (None if outcome.grade_id in WRITTEN else sum(rossi.scores[t] for t in outcome.tests))
        assert outcome.max_score == sum(report.max_points[t] for t in outcome.tests)
        assert any(heading.lstrip("#").strip().startswith(outcome.title) for heading in headings("it"))
    assert [o.grade_id for o in found] == [*EXERCISES, *WRITTEN]


def test_failure_message_is_the_graders_own_in_the_students_language(feedback_class):
    _, workdir = feedback_class
    grading = course(workdir)
    for student, answer in (("rossi", FIRST), ("smith", SECOND)):
        language = CLASS[student].language
        test = EXERCISES[answer][0]
        judged = verdicts(grading.autograded(LESSON, student))[test]["message"]
        message = next(o.message for o in outcomes(workdir, student) if o.grade_id == answer)
        assert message and message == split_message(judged, language) and message != judged.strip()
        assert message in judged.split(" / ")[0 if language == "it" else -1]


@pytest.mark.parametrize("student", sorted(CLASS))
def test_feedback_page_is_in_the_students_language_and_self_contained(feedback_class, student):
    _, workdir = feedback_class
    text = page(workdir, student)
    language = CLASS[student].language
    other = "en" if language == "it" else "it"
    shown = html.unescape(re.sub(r"<[^>]+>", "", summary_section(text)))  # the text a reader sees
    for outcome in outcomes(workdir, student):
        assert outcome.title.replace("`", "") in shown
    only_other = set(headings(other)) - set(headings(language))
    assert only_other and not [h for h in only_other if _words(h) in shown]
    assert not REMOTE.search(text)
    assert MATHJAX.read_text() in text


REMOTE = re.compile(r"<(script|link|img|iframe|source|video|audio)[^>]+(src|href)=[\"']?(https?:)?//", re.I)


def summary_section(text):
    return text[text.index('id="corso-summary"'):text.index('id="corso-notebook-title"')]


def _words(heading):
    """A heading's text without its marks and its closing parenthesis."""
    return heading.lstrip("#").strip().split(" (")[0]


@pytest.mark.parametrize("student", sorted(CLASS))
def test_feedback_page_shows_no_hidden_test(feedback_class, student):
    _, workdir = feedback_class
    hidden = [line for line in secret_lines(SOURCE, markers=(HIDDEN_TEST_MARKERS,)) if len(line) >= 12]
    assert hidden and leaked(page(workdir, student), hidden) == []


@pytest.mark.parametrize("student", sorted(CLASS))
def test_feedback_page_shows_the_submitted_notebook_not_the_graded_one(feedback_class, student):
    """The page's cells are the submission's, with the student's own outputs (none: these were never run);
    the outputs of the grading run stay in the instructor's autograded notebook."""
    _, workdir = feedback_class
    submitted = nbformat.read(workdir / "submitted" / student / LESSON.id / f"{LESSON.slug}.ipynb", as_version=4)
    shown = BeautifulSoup(page(workdir, student), "html.parser").select("#notebook-container .output_area")
    assert len(shown) == sum(len(cell.get("outputs", [])) for cell in submitted.cells) == 0
    assert any(cell.get("outputs") for cell in course(workdir).autograded(LESSON, student).cells)


def test_what_the_grading_kernel_raised_is_not_on_the_page(feedback_class):
    """smith's answer raises an exception whose message is markup: the summary has the grader's message, not
    the kernel's; the page shows the answer's code (the markup in it as text), and nothing else of it."""
    report, workdir = feedback_class
    text = page(workdir, "smith")
    for made in (text, class_report_path(report).read_text()):
        assert "<script>alert(" not in made
    assert "alert(" not in html.unescape(summary_section(text))
    assert f"raise ValueError({HOSTILE!r})" in page_text(text)


def test_mathjax_is_the_vendored_file_recorded_in_its_readme():
    readme = (MATHJAX.parent / "README.md").read_text()
    assert hashlib.sha256(MATHJAX.read_bytes()).hexdigest() in readme
    assert (MATHJAX.parent / "LICENSE").read_text().startswith(("Apache License", "\n"))


def test_class_report_beside_the_grades_private_and_complete(feedback_class):
    report, _ = feedback_class
    path = class_report_path(report)
    assert path.parent == report.csv.parent and path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    for outcome in outcomes(report.csv.parent, "rossi"):
        assert title_html(outcome.title) in text
    assert text.count("<svg") == 2 and not REMOTE.search(text)
    for student, spec in CLASS.items():
        if "review" in spec.expected.values():
            assert f"<td>{student}</td>" in text.split("Flagged for review")[1]
    languages = {spec.language for spec in CLASS.values()}
    assert all(f"{language}: {sum(s.language == language for s in CLASS.values())}" in text
               for language in languages)
    similarity, pairs = report.similarity
    assert summary(report).splitlines()[-2:] == [f"class report: {path}",
                                                 f"similar answers, to look at: {similarity} ({pairs} pairs above "
                                                 "the threshold)"]
    assert similarity.name in text  # linked from the class report
    assert class_report.render(report, LESSON) == text  # deterministic


def test_grouped_failures_count_each_students_failure(feedback_class):
    report, _ = feedback_class
    text = class_report_path(report).read_text()
    failures = text.split("Most common failures")[1].split("Flagged for review")[0]
    messages = [o.message for student in CLASS for o in outcomes(report.csv.parent, student)
                if o.grade_id == FIRST and o.status == "failed"]
    group = split_message(messages[0], "it").split(":")[0]
    assert f"<td>{sum(m.startswith(group) for m in messages)}</td><td>{html.escape(group)}</td>" in failures


def test_manual_grade_and_comment_reach_the_regenerated_page(feedback_class, capsys, tmp_path):
    """Grade the written answer in the formgrader (its HTTP API, on a real server with nbgrader's extension),
    then ``corso feedback`` makes the pages again (in a copy of the grading folder: the other tests read the
    class as graded)."""
    workdir = shutil.copytree(feedback_class[1], tmp_path / "grading")
    written = WRITTEN[0]
    points = next(cell.metadata["nbgrader"]["points"] for cell in SOURCE.cells
                  if cell.metadata.get("nbgrader", {}).get("grade_id") == written)
    comment = "Bene la regola degli stride <img src=x onerror=alert(1)>"
    grade_in_formgrader(workdir, tmp_path / "server", "rossi", written, points - 0.5, comment)
    assert cli.main(["--root", str(ROOT), "feedback", LESSON.id, "--workdir", str(workdir)]) == 0
    assert f"rossi/{LESSON.id}/{LESSON.slug}.html" in capsys.readouterr().out
    outcome = next(o for o in outcomes(workdir, "rossi") if o.grade_id == written)
    assert outcome.status == GRADED and outcome.score == points - 0.5
    path = workdir / "feedback" / "rossi" / LESSON.id / f"{LESSON.slug}.html"
    assert path.stat().st_mode & 0o777 == 0o600
    text = page(workdir, "rossi")
    row = re.search(rf'<tr class="corso-outcome[^"]*" data-grade-id="{written}".*?</tr>', text, re.S).group(0)
    assert f"{points - 0.5:g} / {points:g}" in row and 'data-status="graded by instructor"' in row
    assert "Bene la regola degli stride &lt;img src=x onerror=alert(1)&gt;" in row
    assert "<img src=x" not in text


def grade_in_formgrader(workdir, state, student, grade_id, score, comment):
    """Give a score and a comment as the formgrader's page does: its API (nbgrader's
    server_extensions/formgrader/apihandlers.py: GET submitted_notebooks, grades and comments, then PUT
    grade/<id> and comment/<id>), served by ``jupyter lab`` from the grading folder as the README says."""
    (workdir / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(workdir)!r}\n")
    server = JupyterLab(workdir, state, state / "server.log").start()
    try:
        submissions = server.request("GET", f"formgrader/api/submitted_notebooks/{LESSON.id}/{LESSON.slug}")
        notebook = next(entry["id"] for entry in submissions if entry["student"] == student)
        grade = next(g["id"] for g in server.request("GET", f"formgrader/api/grades?submission_id={notebook}")
                     if g["name"] == grade_id)
        found = next(c["id"] for c in server.request("GET", f"formgrader/api/comments?submission_id={notebook}")
                     if c["name"] == grade_id)
        server.request("PUT", f"formgrader/api/grade/{grade}", {"manual_score": score})
        server.request("PUT", f"formgrader/api/comment/{found}", {"manual_comment": comment})
    finally:
        server.stop()


def test_corso_feedback_without_a_graded_class_says_so(tmp_path, capsys):
    assert cli.main(["--root", str(ROOT), "feedback", LESSON.id, "--workdir", str(tmp_path / "grading")]) == 2
    assert f"nothing graded for {LESSON.id}" in capsys.readouterr().err
