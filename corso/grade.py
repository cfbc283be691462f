"""Grade a class: collect -> nbgrader autograde (in parallel) -> feedback -> grades CSV and a summary.

``corso grade LESSON SUBMISSIONS`` takes a folder or a zip of notebooks as students hand them in:

- ``SUBMISSIONS/<student>/...anything.../<notebook>.ipynb``: the student id is the top-level folder name;
- ``SUBMISSIONS/<student>.ipynb``: the student id is the file name without ``.ipynb``.

A student with several notebooks: the one named like the lesson's notebook (``tensors.ipynb``) is preferred,
and among equals the latest (modification time, or the zip entry's time) wins; the others are listed as
ignored. Files that are not notebooks are ignored and listed. Italian and English submissions are graded
alike (their graded cells are identical); the language is reported.

The grading folder (``--workdir``, default ``grading/``) is an nbgrader course: ``submitted/``,
``autograded/``, ``feedback/`` (one HTML per student, hidden tests removed) and the gradebook
(``gradebook.db``, SQLite, or the database at ``--db``). Each submission is executed by its own process, in a
private copy of the gradebook; the results are then written into the real gradebook by this process alone,
one submission at a time, in student order: the gradebook ends up as a sequential run leaves it. An
interrupted run that is started again resumes: a submission already graded, and not changed since, is not
graded again, and re-grading a changed one replaces its result.

What a student submitted is only ever read: the grading folder works on copies.
"""

import copy
import csv
import hashlib
import io
import json
import multiprocessing
import os
import re
import shutil
import signal
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

from corso.course import load_config
from corso.files import write_atomic
from corso.integrity import tampering
from corso.language import cell_language

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


class GradingError(Exception):
    """nbgrader could not do a step; the message carries nbgrader's own log."""


@dataclass
class Submission:
    """One student's notebook, as collected, and what grading found about it."""

    student: str
    notebook: Path | None  # None: nothing gradable was handed in
    modified: float = 0.0
    language: str = "?"
    problems: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)  # grade id -> points (None: awaits manual grading)

    @property
    def total(self):
        return sum(score for score in self.scores.values() if score is not None)


# ---------------------------------------------------------------- collect


def collect(submissions, lesson, scratch):
    """The submissions in a folder or zip, one per student (zips are unpacked into ``scratch``)."""
    submissions = Path(submissions)
    if zipfile.is_zipfile(submissions):
        submissions = _unzip(submissions, Path(scratch))
    elif not submissions.is_dir():
        raise GradingError(f"{submissions}: expected a folder or a zip of submissions")
    candidates, notes = {}, {}
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_PARTS:
            continue
        if entry.is_dir():
            files = [f for f in sorted(entry.rglob("*")) if f.is_file() and not _hidden(f.relative_to(entry))]
            student = entry.name
        else:
            files, student = [entry], entry.stem if entry.suffix == ".ipynb" else None
        if student is None:
            notes.setdefault("", []).append(f"{entry.name}: not a notebook, ignored")
            continue
        for file in files:
            if file.suffix == ".ipynb":
                candidates.setdefault(student, []).append(file)
            else:
                notes.setdefault(student, []).append(f"extra file {file.relative_to(submissions)} ignored")
        candidates.setdefault(student, [])
    collected = [_choose(student, files, lesson, notes.get(student, []))
                 for student, files in sorted(candidates.items())]
    return collected, notes.get("", [])


def _choose(student, files, lesson, problems):
    submission = Submission(_student_id(student, problems), None, problems=list(problems))
    if not files:
        submission.problems.append("no notebook handed in")
        return submission
    wanted = f"{lesson.slug}.ipynb"
    best = max(files, key=lambda f: (f.name == wanted, f.stat().st_mtime, f.name))
    submission.notebook, submission.modified = best, best.stat().st_mtime
    if best.name != wanted and best.stem != student:
        submission.problems.append(f"notebook named {best.name}, expected {wanted}")
    for other in files:
        if other != best:
            submission.problems.append(f"also handed in {other.name}: ignored, the latest wins")
    return submission


def _student_id(name, problems):
    if STUDENT_ID.fullmatch(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip("_.-") or "student"
    problems.append(f"student id {name!r} has characters nbgrader refuses: graded as {cleaned!r}")
    return cleaned


def _unzip(archive, scratch):
    """Unpack a zip safely (no path escapes the folder), keeping each entry's time as its modification time.

    Returns the folder holding the submissions: the zip's one top-level folder, if it has only that.
    """
    target = scratch / "unzipped"
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = (target / info.filename).resolve()
            if info.is_dir() or not path.is_relative_to(target.resolve()):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(zipped.read(info))
            stamp = time.mktime(info.date_time + (0, 0, -1))
            os.utime(path, (stamp, stamp))
    entries = [entry for entry in target.iterdir() if not _hidden(entry.relative_to(target))]
    if len(entries) == 1 and entries[0].is_dir():  # a zip of one folder holding the class
        return entries[0]
    return target


def _hidden(relative):
    return any(part.startswith(".") or part in IGNORED_PARTS for part in relative.parts)


def inspect(submission, release_nb):
    """Read the notebook without trusting it; return the notebook to grade, or None if it cannot be graded.

    Notes what looks wrong in ``submission.problems``, and its language. A graded cell that appears twice is
    kept once, the first (nbgrader refuses duplicates); the student's file itself is never changed.
    """
    try:
        text = submission.notebook.read_bytes().decode("utf-8")
        if not text.strip():
            raise ValueError("the file is empty")
        json.loads(text)
    except json.JSONDecodeError as error:
        submission.problems.append(f"not valid JSON (line {error.lineno}, column {error.colno}): not graded")
        return None
    except Exception as error:
        submission.problems.append(f"not a notebook ({error}): not graded")
        return None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat and decoding raise several unrelated types
        submission.problems.append(f"not a notebook ({str(error).splitlines()[0][:120]}): not graded")
        return None
    languages = {cell_language(cell) for cell in nb.cells} - {None}
    submission.language = "+".join(sorted(languages)) or "?"
    submission.problems.extend(_structure_problems(nb, release_nb))
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("locked"):
            for reason in tampering(cell.source):
                submission.problems.append(f"REVIEW cell {index} (id {cell.get('id')!r}): {reason}")
    seen = set()
    nb.cells = [cell for cell in nb.cells if _first_time(cell.metadata.get("nbgrader", {}).get("grade_id"), seen)]
    return nb


def _first_time(grade_id, seen):
    if grade_id is None:
        return True
    if grade_id in seen:
        return False
    seen.add(grade_id)
    return True


def _structure_problems(nb, release_nb):
    def graded(notebook):
        return [(cell.metadata["nbgrader"]["grade_id"], cell) for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id")]
    expected = dict(graded(release_nb))
    found = graded(nb)
    found_ids = [grade_id for grade_id, _ in found]
    for grade_id in expected:
        if grade_id not in found_ids:
            yield f"cell {grade_id!r} deleted or its nbgrader metadata removed: scores 0"
    for grade_id in sorted({g for g in found_ids if found_ids.count(g) > 1}):
        yield f"cell {grade_id!r} duplicated: the first is graded"
    for grade_id, cell in found:
        original = expected.get(grade_id)
        if original is None:
            continue
        if cell.cell_type != original.cell_type:
            yield f"cell {grade_id!r} turned from {original.cell_type} into {cell.cell_type}"
        points = cell.metadata["nbgrader"].get("points")
        if points != original.metadata["nbgrader"].get("points"):
            yield f"cell {grade_id!r} points changed to {points}: the gradebook's are used"
    order = [grade_id for grade_id in dict.fromkeys(found_ids) if grade_id in expected]
    if order != [grade_id for grade_id in expected if grade_id in order]:
        yield "graded cells reordered"


def execution_problems(graded_nb):
    """What went wrong while the submission ran, beyond the tests' verdicts (which the scores show)."""
    for index, cell in enumerate(graded_nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        error = next((output for output in cell.get("outputs", []) if output.output_type == "error"), None)
        where = f"cell {index} (id {cell.get('id')!r})"
        if error is None:
            continue
        if error.ename == "DeadKernelError":
            yield f"the kernel died in or before {where}: the cells after it did not run"
            return
        if error.ename in ("CellTimeoutError", "KeyboardInterrupt"):
            yield f"{where} ran past the time limit and was stopped"
        elif error.ename == "NotImplementedError":
            if meta.get("grade"):
                yield f"{meta['grade_id']}: not answered"
        elif not meta.get("grade"):
            yield f"{where} raised {error.ename}: {str(error.evalue)[:80]}"


# ---------------------------------------------------------------- nbgrader courses


class GradingCourse:
    """An nbgrader course folder for grading the course's lessons."""

    def __init__(self, root, workdir, db_url=None, timeout=None):
        self.root = Path(root).resolve()
        self.workdir = Path(workdir).resolve()
        self.config = load_config(self.root)
        self.config.CourseDirectory.root = str(self.workdir)
        self.config.CourseDirectory.release_directory = "release"
        self.config.CourseDirectory.db_url = db_url or f"sqlite:///{self.workdir / 'gradebook.db'}"
        if timeout:
            self.config.Execute.timeout = timeout
        self.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def db_url(self):
        return self.config.CourseDirectory.db_url

    def api(self, config=None):
        config = config or self.config
        return NbGraderAPI(CourseDirectory(config=config), config=config)

    def add_lesson(self, lesson):
        """Put the lesson's source in the course and record its graded cells in the gradebook."""
        target = self.workdir / "source" / lesson.id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(lesson.source.parent, target)
        self._check(self.api().generate_assignment(lesson.id, force=True, create=True), lesson.id)

    def submit(self, lesson, student, notebook, modified=None):
        """Place a student's notebook (a path or a notebook) where nbgrader collects it, with its submission time."""
        folder = self.workdir / "submitted" / student / lesson.id
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if isinstance(notebook, Path):
            shutil.copyfile(notebook, folder / f"{lesson.slug}.ipynb")
            modified = modified or notebook.stat().st_mtime
        else:
            nbformat.write(notebook, folder / f"{lesson.slug}.ipynb")
        stamp = datetime.fromtimestamp(modified or time.time(), UTC)
        (folder / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))

    def autograde(self, lesson, student):
        self._check(self.api().autograde(lesson.id, student, force=True, create=True), f"{lesson.id}/{student}")

    def record(self, lesson, student, graded_folder):
        """Write into the gradebook the scores of a submission that another process executed and graded.

        ``graded_folder`` holds ``<student>/<lesson>/`` as that process's autograde left it; nbgrader's own
        SaveAutoGrades reads the scores from it, exactly as at the end of an autograde run.
        """
        config = copy.deepcopy(self.config)
        config.CourseDirectory.submitted_directory = str(graded_folder)
        config.Autograde.sanitize_preprocessors = []
        config.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        self._check(self.api(config).autograde(lesson.id, student, force=True, create=True), f"{lesson.id}/{student}")

    def autograded(self, lesson, student):
        return nbformat.read(self.workdir / "autograded" / student / lesson.id / f"{lesson.slug}.ipynb", as_version=4)

    def feedback(self, lesson, student):
        self._check(self.api().generate_feedback(lesson.id, student, force=True), f"{lesson.id}/{student} feedback")

    def scores(self, lesson, student):
        """{grade id: score, or None where a written answer awaits the instructor}; {} if never graded.

        A test cell that lost its nbgrader metadata awaits manual grading in nbgrader: it counts 0 here.
        """
        with Gradebook(self.db_url) as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(lesson.slug, lesson.id, student)
            except MissingEntry:
                return {}
            return {grade.name: None if grade.needs_manual_grade and grade.cell.cell_type == "markdown" else grade.score
                    for grade in notebook.grades}

    @staticmethod
    def _check(result, what):
        if not result["success"]:
            raise GradingError(f"{what}: {result.get('error') or ''}\n{result.get('log') or ''}")


# ---------------------------------------------------------------- grade a class


@dataclass
class Report:
    """What a grading run found: every submission with its scores, and the files it wrote."""

    submissions: list
    max_points: dict  # grade id -> points, in notebook order
    ignored: list
    csv: Path
    resumed: int


def grade_class(root, lesson, submissions, workdir, db_url=None, jobs=None, timeout=None, progress=None):
    """Grade every submission of ``lesson`` found in ``submissions``; see the module's docstring."""
    course = GradingCourse(root, workdir, db_url, timeout)
    course.add_lesson(lesson)
    work = course.workdir / ".work"
    template = GradingCourse(root, work / "template", timeout=timeout)
    template.add_lesson(lesson)
    release_nb = nbformat.read(template.workdir / "release" / lesson.id / f"{lesson.slug}.ipynb", as_version=4)
    collected, ignored = collect(submissions, lesson, work)
    state_file = course.workdir / f"graded-{lesson.id}.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    todo, resumed = {}, 0
    for submission in collected:
        nb = inspect(submission, release_nb) if submission.notebook else None
        if nb is None:
            continue
        digest = hashlib.sha256(submission.notebook.read_bytes()).hexdigest()
        done = state.get(submission.student, {})
        if done.get("sha256") == digest and course.scores(lesson, submission.student):
            submission.problems.extend(done["problems"])
            resumed += 1
            continue
        course.submit(lesson, submission.student, nb, submission.modified)
        todo[submission.student] = (submission, digest)
    # A submission may not run longer than all its cells at the time limit, plus the start-up.
    limit = course.config.Execute.timeout * sum(cell.cell_type == "code" for cell in release_nb.cells) + 120
    workers = Workers(limit)

    def record(student, failure):
        submission, digest = todo[student]
        private = workers.folder(work, student)
        if failure:
            submission.problems.append(f"not graded: {failure}")
        else:
            course.record(lesson, student, private / "autograded")
            problems = list(execution_problems(course.autograded(lesson, student)))
            submission.problems.extend(problems)
            _copy_tree(private / "feedback" / student, course.workdir / "feedback" / student)
            state[student] = {"sha256": digest, "problems": problems}
            write_atomic(state_file, json.dumps(state, indent=1, sort_keys=True))
        shutil.rmtree(private, ignore_errors=True)

    _run_in_order(sorted(todo), lambda student: workers.grade(course, template, lesson, student),
                  record, jobs or os.cpu_count(), progress, abort=workers.kill_all)
    for submission in collected:
        submission.scores = course.scores(lesson, submission.student)
    max_points = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"]
                  for cell in release_nb.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    report = Report(collected, max_points, ignored, course.workdir / f"grades-{lesson.id}.csv", resumed)
    write_atomic(report.csv, grades_csv(report))
    return report


class Workers:
    """The grading processes: one a submission, each in a process group of its own with its kernel, forked
    from a server that has imported the course's tooling once (a fresh Python a submission cost seconds of
    start-up). A process that runs past ``limit`` seconds is stopped with everything it started.

    Like every forkserver child, each also imports the program's main module: ``corso``'s is light."""

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["corso.cli"])

    def __init__(self, limit):
        self.limit = limit
        self.running = set()

    @staticmethod
    def folder(work, student):
        return work / "students" / student

    def grade(self, course, template, lesson, student):
        """Autograde one submission and make its feedback, in a private copy of the template course.

        Returns None on success, else a one-line reason.
        """
        private = self.folder(template.workdir.parent, student)
        shutil.rmtree(private, ignore_errors=True)
        shutil.copytree(template.workdir, private)
        _copy_tree(course.workdir / "submitted" / student, private / "submitted" / student)
        process = self.context.Process(target=_worker, args=(
            str(course.root), str(private), lesson.id, student, course.config.Execute.timeout))
        process.start()
        self.running.add(process)
        try:
            process.join(self.limit)
            if process.exitcode is None:
                self.kill(process)
                return f"the grading process ran past {self.limit} s and was stopped"
        finally:
            self.running.discard(process)
        if process.exitcode != 0:
            reason = private / "error.txt"
            return reason.read_text() if reason.exists() else f"the grading process exited with {process.exitcode}"
        return None

    @staticmethod
    def kill(process):
        """Stop a grading process and everything it started (its kernel)."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.join()

    def kill_all(self):
        for process in list(self.running):
            self.kill(process)


def _worker(root, private, lesson_id, student, timeout):
    """The grading process of one submission: its output goes to ``log.txt``, its failure to ``error.txt``."""
    os.setsid()  # a process group of its own, which its kernel joins: stopping it stops both
    log = os.open(Path(private, "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from corso.lessons import Lesson
    lesson = Lesson(Path(root), lesson_id)
    course = GradingCourse(root, private, timeout=timeout)
    try:
        course.autograde(lesson, student)
        course.feedback(lesson, student)
    except Exception as error:  # any failure is reported for this submission alone
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        exceptions = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
        Path(private, "error.txt").write_text((exceptions or lines or [type(error).__name__])[-1][:200])
        raise SystemExit(1) from None


def _run_in_order(keys, work, finish, jobs, progress, abort):
    """Run ``work(key)`` for every key on ``jobs`` threads; call ``finish(key, result)`` in key order.

    On an interruption (Ctrl-C) or an error, ``abort()`` stops the work under way; what was finished stays.
    """
    results, next_index = {}, 0
    bar = progress(total=len(keys)) if progress and keys else None
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(work, key): key for key in keys}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                while next_index < len(keys) and keys[next_index] in results:
                    finish(keys[next_index], results.pop(keys[next_index]))
                    next_index += 1
                    if bar:
                        bar.update(1)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            abort()
            raise
        finally:
            if bar:
                bar.close()


def _copy_tree(source, target):
    if source.exists():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


# ---------------------------------------------------------------- report


def grades_csv(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "language", *report.max_points, "total", "problems"])
    for submission in report.submissions:
        scores = [_number(submission.scores.get(grade_id, 0 if not submission.scores else None))
                  for grade_id in report.max_points]
        writer.writerow([submission.student, submission.language, *scores, _number(submission.total),
                         "; ".join(submission.problems)])
    return out.getvalue()


def summary(report):
    """The table printed at the end of a grading run."""
    columns = [grade_id.removesuffix("_tests") for grade_id in report.max_points]
    header = ["student", "lang", *columns, "total", "problems"]
    rows = [["(max)", "", *map(_number, report.max_points.values()), _number(sum(report.max_points.values())), ""]]
    for submission in report.submissions:
        scores = ["-" if submission.scores.get(grade_id, 0) is None else _number(submission.scores.get(grade_id, 0))
                  for grade_id in report.max_points]
        rows.append([submission.student, submission.language, *scores, _number(submission.total),
                     "; ".join(submission.problems) or "ok"])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + str(row[-1])
             for row in [header, *rows]]
    lines += [f"ignored: {note}" for note in report.ignored]
    lines.append(f"{len(report.submissions)} students ({report.resumed} already graded, not graded again); "
                 f"grades in {report.csv}; feedback in {report.csv.parent / 'feedback'}")
    return "\n".join(lines)


def _number(value):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 2)

