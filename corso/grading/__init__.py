"""Grade a class: collect -> screen -> execute (in the sandbox, in parallel workers) -> record -> report.

``corso grade LESSON SUBMISSIONS``; each stage is a module of this package:

- ``collect``: folders, zips and LMS downloads -> one Submission per student;
- ``screen``: an untrusted notebook -> what to grade, and its problem lines;
- ``sandbox`` (with ``guard``, which runs inside it): the only code that starts student code, in a sandbox
  started for the kernel or forked from a warm zygote;
- ``execute``: nbgrader's autograde step that runs one submission with its kernel in the sandbox and judges
  each graded test;
- ``workers``: nbgrader's autograde and feedback of one submission in a process of its own, results returned
  as data; ``jobs`` at once on this machine, or (``cluster``) on the workers of a Dask cluster;
- ``verdict``: each graded test's observations (plain data from the kernel) against those of the reference
  solution, compared in the grading process; the reference run, once per version of the lesson;
- ``feedback``: the student's page (the summary first, no test traceback, no hidden test line, sanitised);
- ``record``: the single writer of the gradebook, and resuming an interrupted run;
- ``report`` (with ``class_report``): the grades CSV, the LMS's files, the summary, the class report;
- ``similarity``: which students' answers are alike, a page for the instructor to look at;
- ``profile``: where a run's time went (``--profile``).

The grading folder (``--workdir``, default ``grading/``, readable by the instructor alone) is an nbgrader
course: ``submitted/``, ``autograded/``, ``feedback/`` (one page per student, no hidden test in it) and the
gradebook (``gradebook.db``, SQLite, or the database at ``--db``). What a student submitted is only ever read.
"""

from pathlib import Path


class GradingError(Exception):
    """A class cannot be graded (no sandbox, a bad archive, nbgrader failed); the message says why."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during grading: what was finished is kept, and the same command resumes from there."""

    def __init__(self, done, total, workdir):
        super().__init__(f"interrupted: {done} of {total} submissions graded and kept in {workdir}; "
                         "run the same command again to grade the others")


def grade_class(root, lesson, submissions, workdir, db_url=None, jobs=None, timeout=None, progress=None,
                sandbox=True, cluster=None, profile=None, pool=True, deadline=None, lms_options=None, similarity=True,
                exchange=None):
    """Grade every submission of ``lesson`` found in ``submissions``; see the module's docstring. ``profile``
    (a corso.grading.profile.Profile) receives the times of the run; ``pool``: kernels forked from warm zygotes
    (False: each started in a sandbox of its own, as the reference run's); ``deadline``: the lesson's deadline
    (default: ``c.Corso.deadlines`` in nbgrader_config.py); ``lms_options``: a report.LmsOptions; ``similarity``:
    write the similarity page; ``exchange``: a corso.exchange.Collected, when ``submissions`` is the folder
    that the classroom's exchange was gathered into."""
    import os

    import nbformat

    from corso.course import GradingCourse
    from corso.data import DATA_DIR, prepare_mnist
    from corso.grading import workers as local
    from corso.grading.profile import Profile
    from corso.grading.report import LmsOptions
    from corso.grading.sandbox import SandboxUnavailable, check_available

    profile, lms_options = profile or Profile(), lms_options or LmsOptions()
    roster = read_roster(lms_options.roster) if lms_options.roster else None

    settings = {"timeout": timeout, "sandbox": sandbox}
    if cluster:  # the scheduler and its workers first: a cluster that cannot grade says so before any work
        from corso.grading import cluster as dask_cluster
        client = dask_cluster.connect(cluster, lesson, settings)
    elif sandbox:
        try:
            check_available(DATA_DIR)
        except SandboxUnavailable as error:
            raise GradingError(f"no sandbox for student code: {error} (--no-sandbox grades without one, "
                               "with the submissions running as you)") from None
    prepare_mnist(DATA_DIR)  # complete before the sandbox sees it read-only
    course = GradingCourse(root, workdir, db_url, timeout, sandbox, deadline)
    course.workdir.chmod(0o700)
    work = course.workdir / ".work"
    # A submission may not run longer than all its cells at the time limit, plus the start-up.
    source_nb = nbformat.read(lesson.source, as_version=4)
    limit = course.config.Execute.timeout * sum(cell.cell_type == "code" for cell in source_nb.cells) + 120
    if cluster:
        workers = dask_cluster.ClusterWorkers(client, lesson, settings, limit)
    else:  # started first: their zygotes warm up while the courses are made
        workers = local.Workers(work / "template", settings, lesson, limit, jobs or os.cpu_count(), pool)
    with workers:
        result = _grade(course, lesson, submissions, workers, timeout, sandbox, cluster, progress, profile,
                        lms_options, roster, similarity, exchange)
    profile.zygotes_cpu, profile.unpooled = getattr(workers, "zygotes_cpu", 0.0), getattr(workers, "unpooled", None)
    return result


def read_roster(path):
    """The participants of Moodle's grading worksheet at ``path`` (``--roster``)."""
    from corso import lms
    try:
        return lms.read_roster(Path(path).read_text(encoding="utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError) as error:
        raise GradingError(f"--roster {path}: cannot read it ({error})") from None
    except lms.RosterError as error:
        raise GradingError(f"--roster {error}") from None


def _grade(course, lesson, submissions, workers, timeout, sandbox, cluster, progress, profile, lms_options, roster,
           similarity, exchange):
    import nbformat

    from corso.course import GradingCourse
    from corso.grading import collect, record, report, screen
    from corso.grading import similarity as similar
    from corso.grading.verdict import make_reference
    from corso.grading.workers import run_in_order

    course.add_lesson(lesson)
    work = course.workdir / ".work"
    template = GradingCourse(course.root, work / "template", timeout=timeout, sandbox=sandbox)
    template.add_lesson(lesson)
    if not cluster:  # a cluster's workers observe the reference solution themselves
        with workers.lent_zygote() as zygote_fd:
            template.config.GuardedExecute.zygote_fd = zygote_fd
            make_reference(template, lesson)
    release_nb = nbformat.read(template.workdir / "release" / lesson.id / f"{lesson.slug}.ipynb", as_version=4)
    with profile.stage("collect and screen the submissions (this process)"):
        collected, ignored, layout = collect.collect(submissions, lesson, work, None if exchange else roster)
    if exchange:
        ignored, layout = exchange.ignored + ignored, exchange.annotate(collected, roster)
    resume = record.Resume(course, lesson, {"timeout": course.config.Execute.timeout, "sandbox": sandbox,
                                            "deadline": course.deadline_of(lesson)})
    todo, resumed, screened = {}, 0, []
    for submission in collected:
        with profile.stage("collect and screen the submissions (this process)"):
            nb = screen.screen(submission, release_nb) if submission.notebook else None
        if nb is None:
            continue
        screened.append(submission)
        key = resume.key(submission.notebook, submission.modified)
        problems = resume.done(submission.student, key)
        if problems is not None and course.scores(lesson, submission.student):
            submission.problems.extend(problems)
            resumed += 1
            continue
        course.submit(lesson, submission.student, nb, submission.modified)
        todo[submission.student] = (submission, key)
    finished = []

    def finish(student, result):
        finished.append(student)
        submission, key = todo[student]
        profile.submission(student, result.get("seconds", {}))
        with profile.stage("record into the gradebook (this process)"):
            problems = record.record(course, lesson, student, result)
        submission.problems.extend(problems)
        if "error" not in result:
            resume.save(student, key, problems)

    submitted = course.workdir / "submitted"
    try:
        run_in_order(sorted(todo), lambda student: workers.submit(student, submitted / student), finish,
                         progress, abort=workers.stop)
    except KeyboardInterrupt:
        raise Interrupted(resumed + len(finished), len(todo) + resumed, course.workdir) from None
    for submission in collected:
        submission.scores = course.scores(lesson, submission.student)
        submission.late_seconds, submission.penalty = course.lateness(lesson, submission.student)
        if submission.late_seconds:
            submission.problems.append(report.late_line(submission))
    max_points = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"]
                  for cell in release_nb.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    result = report.Report(collected, max_points, ignored, Path(course.workdir, f"grades-{lesson.id}.csv"),
                           resumed, sandbox, lms_options)
    if similarity:
        page = course.workdir / f"similarity-{lesson.id}.html"
        with profile.stage("similarity of the answers (this process)"):
            comparison = similar.write_page(page, lesson, screened, submitted)
        result.similarity = (page, len(comparison.pairs))
    report.write_reports(result, lesson, layout)
    return result
