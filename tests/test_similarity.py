"""The similarity report, calibrated on the course's own lesson 04: a class of 40 honest students whose answers
are combinations of genuinely different correct solutions (tests/similarity_corpus.py), plus four planted
copies (verbatim; renamed and reordered; translated; with dead code). Every planted pair must rank above
every honest pair and be listed; no honest pair may be listed. The page is the instructor's only."""

import random
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from project import ROOT
from similarity_corpus import HONEST, PLANTED

from corso.grading import similarity
from corso.lessons import Lesson

LESSON = Lesson(ROOT, "04-mnist-mlp")
EXERCISES, STARTERS = similarity.lesson_exercises(LESSON)
SEED = 2026


WRITTEN = "real_dataset"


def honest_class(students=40):
    """{student: {exercise: answer}}: the planted copies' originals (one solution throughout, as PLANTED says),
    then students who each chose, exercise by exercise, one of the honest code solutions. Prose is not chosen
    from a handful: two students who write the same paragraph did not write it alone. Each written answer of
    the corpus is one student's; the students past them left the question unanswered (the release's stub)."""
    rng = random.Random(SEED)
    found = {f"honest-{p['original']}-all": {g: HONEST[g][p["original"]] for g in HONEST} for p in PLANTED}
    unused = [text for i, text in enumerate(HONEST[WRITTEN]) if i not in {p["original"] for p in PLANTED}]
    while len(found) < students:
        answers = {g: rng.choice(HONEST[g]) for g in HONEST if g != WRITTEN}
        found[f"honest-{len(found):02d}"] = answers | {WRITTEN: unused.pop() if unused else STARTERS[WRITTEN][0]}
    return found


def copies():
    """{copier: (original, {exercise: answer})} of the planted copies."""
    return {f"copy-{p['kind']}": (f"honest-{p['original']}-all",
                                  {g: p["copy"].get(g, HONEST[g][p["original"]]) for g in HONEST}) for p in PLANTED}


def calibration_class():
    return honest_class() | {copier: answers for copier, (_, answers) in copies().items()}


@pytest.fixture(scope="module")
def comparison():
    return similarity.compare(calibration_class(), STARTERS, EXERCISES)


def test_every_planted_copy_ranks_above_every_honest_pair(comparison):
    planted = {tuple(sorted((copier, original))) for copier, (original, _) in copies().items()}
    honest = [pair for pair in comparison.ranked if pair.students not in planted]
    found = {pair.students: pair for pair in comparison.ranked if pair.students in planted}
    assert set(found) == planted, "a planted copy shares no fingerprint with its original"
    best_honest = max(pair.score for pair in honest)
    for students, pair in sorted(found.items()):
        assert pair.score > best_honest, f"{students}: {pair.score:.2f}, an honest pair scores {best_honest:.2f}"
    # Precision and recall of the listed pairs (README, "Similar answers").
    listed = {pair.students for pair in comparison.pairs}
    assert listed == planted, f"listed {sorted(listed - planted)} honest, missed {sorted(planted - listed)}"
    print(f"planted: {sorted((round(p.score, 2), s) for s, p in found.items())}; best honest: {best_honest:.2f}; "
          f"honest pairs: {len(honest)}")


def test_each_disguise_still_matches_where_it_was_copied(comparison):
    by_students = {pair.students: pair for pair in comparison.ranked}
    for copier, (original, _) in copies().items():
        pair = by_students[tuple(sorted((copier, original)))]
        long_exercises = [g for g in ("train_epoch", "evaluate", "trained_model") if g in pair.by_exercise]
        assert len(long_exercises) == 3, f"{copier}: {pair.by_exercise}"
        assert all(pair.by_exercise[g][0] >= similarity.THRESHOLD for g in long_exercises), (copier, pair)


def test_the_starter_code_and_unanswered_exercises_count_for_nothing():
    untouched = {student: dict(zip(STARTERS, (texts[0] for texts in STARTERS.values()), strict=True))
                 for student in ("ada", "bea", "cy")}
    result = similarity.compare(untouched, STARTERS, EXERCISES)
    assert result.ranked == [] and all(not found for found in result.answers.values())


def test_a_huge_answer_is_cut_not_a_reason_to_wait():
    huge = {g: HONEST[g][0] for g in HONEST} | {"mlp": HONEST["mlp"][0] + "\n# padding\nx = 1\n" * 200_000}
    result = similarity.compare({"huge": huge, **honest_class(6)}, STARTERS, EXERCISES)
    assert len(result.answers["mlp"]["huge"].text) == similarity.MAX_ANSWER


def page(comparison, tmp_path, people=None):
    path = tmp_path / "similarity-04-mnist-mlp.html"
    from corso.files import write_atomic
    write_atomic(path, similarity.render(comparison, LESSON, people or {}), mode=0o600)
    return path


def test_the_page_reads_in_a_minute_and_says_what_the_score_means(comparison, tmp_path):
    people = {"copy-verbatim": "Nicolò D'Amico", "honest-0-all": "Anna <b>Rossi</b>"}
    text = page(comparison, tmp_path, people).read_text()
    assert "Nicolò D&#x27;Amico (copy-verbatim)" in text and "Anna &lt;b&gt;Rossi&lt;/b&gt;" in text  # escaped
    assert "Che cosa significa" in text and "What it means" in text and f"{similarity.THRESHOLD:.0%}" in text
    for word in ("cheat", "plagi", "copiat", "imbrogli", "fraud"):
        assert word not in text.lower()
    assert "<mark>" in text  # the matching regions, side by side
    assert not re.search(r"""(src|href)\s*=\s*['"](?!#)""", text), "the page must make no request"
    assert "default-src 'none'" in text


def test_the_page_is_the_same_every_time(comparison, tmp_path):
    again = similarity.compare(calibration_class(), STARTERS, EXERCISES)
    assert similarity.render(again, LESSON, {}) == similarity.render(comparison, LESSON, {})


def test_the_page_is_the_instructors_only_and_never_leaves_the_grading_folder(comparison, tmp_path, course_copy):
    from corso import edition, lms
    from corso.grading.collect import Submission
    from corso.grading.report import Report, write_reports
    for needed in ("corso", "data/README.md", "data/mnist", "pyproject.toml", "requirements"):  # an edition reads
        (course_copy / needed).parent.mkdir(exist_ok=True)
        (shutil.copytree if (ROOT / needed).is_dir() else shutil.copy)(ROOT / needed, course_copy / needed)
    grading = course_copy / "grading"
    grading.mkdir()
    marker = "SIMILARITY-PAGE-MARKER"
    path = page(comparison, grading)
    path.write_text(path.read_text().replace("</body>", f"{marker}</body>"))
    path.chmod(0o600)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    made = edition.make_edition(course_copy, "it", tmp_path / "editions")
    for file in [made.zip, *made.folder.rglob("*")]:
        assert not file.is_file() or marker.encode() not in file.read_bytes(), file
    with zipfile.ZipFile(made.zip) as archive:
        assert not [name for name in archive.namelist() if "similarity" in name]
    feedback = grading / "feedback" / "418223" / LESSON.id / f"{LESSON.slug}.html"
    feedback.parent.mkdir(parents=True)
    feedback.write_text("<html>feedback</html>")
    report = Report([Submission("418223", Path("x.ipynb"), name="Ada", scores={"t": 1.0})], {"t": 1}, [],
                    grading / f"grades-{LESSON.id}.csv", 0, similarity=(path, 4))
    write_reports(report, LESSON, lms.MOODLE_FOLDERS)
    for upload in grading.glob("moodle-*"):
        data = upload.read_bytes()
        assert marker.encode() not in data and b"similarity" not in data, upload
    with zipfile.ZipFile(grading / f"moodle-feedback-{LESSON.id}.zip") as archive:
        assert archive.namelist() == ["Ada_418223_assignfeedback_file/feedback.html"]
    assert "similarity-04-mnist-mlp.html" in (grading / f"class-report-{LESSON.id}.html").read_text()
