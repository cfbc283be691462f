"""The course's performance table: every row measured in this run, on this machine, beside its baseline.

    .venv/bin/python benchmarks/run.py [--reps 3] [--json benchmarks/results.json] [--readme]

Prints a markdown table and writes it as JSON; with --readme, also replaces the table in README.md (between
its benchmark markers). A row that takes under a minute is the median of --reps repetitions. On a CUDA
machine the MNIST rows are measured on the GPU as well. Speed is reported here, never asserted in tests.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from hub import classroom_rows  # noqa: E402
from mnist import mnist_rows, row  # noqa: E402
from submissions import filled_release  # noqa: E402

from corso.build import build, execute_notebook  # noqa: E402
from corso.check import self_check  # noqa: E402
from corso.course import GradingCourse, find_lesson, load_config  # noqa: E402
from corso.grading.verdict import make_reference  # noqa: E402
from corso.lessons import find_lessons  # noqa: E402

MARKERS = ("<!-- benchmarks:start -->", "<!-- benchmarks:end -->")


def timed(function, reps):
    """(median seconds, last result): repeated ``reps`` times unless one run takes over a minute."""
    times, result = [], None
    for _ in range(reps):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
        if times[-1] > 60:
            break
    return statistics.median(times), result, len(times)


def build_rows(reps):
    with tempfile.TemporaryDirectory() as scratch:
        course = Path(scratch)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "source", course / "source")
        cold, _, _ = timed(lambda: build(course, log=lambda line: None), 1)
        noop, _, n = timed(lambda: build(course, log=lambda line: None), reps)
    return [row("build, cold (executes every lesson)", f"{cold:.1f} s"),
            row("build, no-op (nothing changed)", f"{noop:.1f} s", runs=n)]


def notebook_rows(reps):
    timeout = load_config(ROOT).Execute.timeout
    rows = []
    for lesson in find_lessons(ROOT):
        nb = nbformat.read(lesson.solution, as_version=4)
        seconds, _, n = timed(lambda nb=nb, path=lesson.source: execute_notebook(nb, path, timeout), reps)
        rows.append(row(f"solution {lesson.id}: execution", f"{seconds:.1f} s", runs=n))
    return rows


def suite_row():
    start = time.perf_counter()
    result = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = next((line.strip("= ") for line in reversed(result.stdout.splitlines()) if " passed" in line), "?")
    return row("full test suite (`make test`)", f"{seconds / 60:.1f} min ({summary})")


def a_class(lesson, folder, students):
    """``students`` submissions in ``folder``: mostly solved, a quarter unanswered, in both languages."""
    folder.mkdir()
    for i in range(students):
        language = "it" if i % 2 else "en"
        if i % 4 == 3:
            shutil.copy(lesson.release(language), folder / f"s{i:02d}.ipynb")
        else:
            filled_release(lesson, language, folder / f"s{i:02d}.ipynb")
    return folder


def corso_grade(lesson, handed_in, workdir, *options):
    """Seconds ``corso grade`` takes, as an instructor runs it."""
    return corso_grade_measured(lesson, handed_in, workdir, *options)[0]


def corso_grade_measured(lesson, handed_in, workdir, *options):
    """(seconds, peak memory in bytes) of ``corso grade``: the memory is the largest sum, sampled every 0.2 s,
    of the proportional set size (PSS: shared pages divided among their users) of every process of the run's
    user and of the sandboxes' users."""
    start = time.perf_counter()
    process = subprocess.Popen([Path(sys.executable).parent / "corso", "--root", ROOT, "grade", lesson.id,
                                handed_in, "--workdir", workdir, *options],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline, peak = memory_in_use(), 0
    while process.poll() is None:
        peak = max(peak, memory_in_use() - baseline)
        time.sleep(0.2)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, process.args)
    return time.perf_counter() - start, peak


def memory_in_use():
    """The PSS of every process of this machine, in bytes (what the run adds is this minus the value before)."""
    total = 0
    for rollup in Path("/proc").glob("[0-9]*/smaps_rollup"):
        try:
            total += next(int(line.split()[1]) for line in rollup.read_text().splitlines()
                          if line.startswith("Pss:")) << 10
        except (OSError, StopIteration, ValueError):
            continue
    return total


def sequential_nbgrader(lesson, handed_in, workdir):
    """Seconds plain nbgrader takes to autograde the notebooks in ``handed_in``, one after the other, its
    kernel's verdict as it comes (no sandbox, no guard, no comparison in the grader, no feedback)."""
    start = time.perf_counter()
    sequential = GradingCourse(ROOT, workdir, sandbox=False)
    sequential.config.Autograde.autograde_preprocessors = [
        "corso.running.ExecuteSurvivingCrashes" if step == "corso.grading.execute.GuardedExecute" else step
        for step in sequential.config.Autograde.autograde_preprocessors]
    sequential.add_lesson(lesson)
    for notebook in sorted(handed_in.iterdir()):
        sequential.submit(lesson, notebook.stem, notebook)
        sequential.autograde(lesson, notebook.stem)
    return time.perf_counter() - start


def grading_rows(reps, students=40):
    lesson = find_lesson(ROOT, "01-tensors")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        handed_in = a_class(lesson, scratch / "submissions", students)
        baseline = sequential_nbgrader(lesson, handed_in, scratch / "sequential")
        pooled, peak = corso_grade_measured(lesson, handed_in, scratch / "pooled", "--profile")
        ours = {"pool": pooled}
        for name, flags in {"no pool": ["--no-pool"], "--jobs 1": ["--jobs", "1"],
                            "--no-sandbox": ["--no-sandbox"]}.items():
            ours[name] = corso_grade(lesson, handed_in, scratch / name.strip("-").replace(" ", "-"), *flags)
        profile = json.loads((scratch / "pooled" / f"profile-{lesson.id}.json").read_text())
        reference = GradingCourse(ROOT, scratch / "reference")
        reference.add_lesson(lesson)
        reference_seconds = make_reference(reference, lesson)
        solved = filled_release(lesson, "it", scratch / "solved.ipynb")
        one = {}
        for sandbox in (True, False):
            course = GradingCourse(ROOT, scratch / f"one-{sandbox}", sandbox=sandbox)
            course.add_lesson(lesson)
            make_reference(course, lesson)
            course.submit(lesson, "solved", solved)
            one[sandbox], _, n_one = timed(lambda course=course: course.autograde(lesson, "solved"), reps)
        check, _, n = timed(lambda: self_check(ROOT, solved), reps)
    jobs = os.cpu_count()
    what = {"pool": f"`corso grade`, {jobs} jobs, kernels forked from warm zygotes",
            "no pool": f"{jobs} jobs, each kernel in a sandbox started for it (`--no-pool`)",
            "--jobs 1": "`--jobs 1`, one zygote", "--no-sandbox": f"`--no-sandbox`, {jobs} jobs"}
    rows = [row(f"autograde {students} submissions of 01-tensors, sandboxed: {what[name]}", f"{seconds:.0f} s",
                "plain sequential nbgrader autograde, same run", f"{baseline:.0f} s ({baseline / seconds:.2f}x)")
            for name, seconds in ours.items()]
    rows.append(row(f"peak memory of the {students}-submission run, {jobs} jobs, pooled (PSS of every process)",
                    f"{peak / 2**30:.1f} GiB"))
    rows += [row(f"one submission (median of the {students}, pooled): {stage}", f"{value['median']:.2f} s")
             for stage, value in profile["stages"].items()]
    rows += [row(f"CPU time of the {students}-submission run: {kind}", f"{value:.0f} s")
             for kind, value in profile["cpu seconds"].items()]
    return rows + lesson_rows() + [
            row("the reference solution's observations (once per lesson version, sandboxed)",
                f"{reference_seconds:.1f} s"),
            row("one submission's autograde, sandboxed and guarded", f"{one[True]:.1f} s",
                "the same without the sandbox", f"{one[False]:.1f} s (+{one[True] - one[False]:.1f} s)", n_one),
            row("student self-check of one notebook (`corso check`)", f"{check:.1f} s", runs=n)]


def lesson_rows(students=20):
    """Lessons 02-04: ``students`` submissions each, ``corso grade`` against sequential nbgrader."""
    rows = []
    for lesson in find_lessons(ROOT)[1:]:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            handed_in = a_class(lesson, scratch / "submissions", students)
            baseline = sequential_nbgrader(lesson, handed_in, scratch / "sequential")
            ours = corso_grade(lesson, handed_in, scratch / "pooled")
        rows.append(row(f"autograde {students} submissions of {lesson.id}, sandboxed (`corso grade`, "
                        f"{os.cpu_count()} jobs)", f"{ours:.0f} s", "plain sequential nbgrader autograde, same run",
                        f"{baseline:.0f} s ({baseline / ours:.2f}x)"))
    return rows


def cluster_rows(reps, students=40, submissions=10_000, machines=(1, 10, 50), cores=8):
    """The class through a Dask cluster of 1 and 2 local workers (one submission at a time each) against the
    local path, and what that predicts for a term's ``submissions`` on ``machines`` of ``cores`` cores."""
    from localcluster import Cluster
    lesson = find_lesson(ROOT, "01-tensors")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        handed_in = a_class(lesson, scratch / "submissions", students)
        local = corso_grade(lesson, handed_in, scratch / "local")
        cluster, on_cluster = Cluster(scratch / "cluster"), {}
        try:
            for workers in (1, 2):
                cluster.add_worker(f"w{workers}")
                on_cluster[workers] = corso_grade(lesson, handed_in, scratch / f"cluster{workers}", "--cluster",
                                                  cluster.address)
        finally:
            cluster.close()
        writer, _, n = timed(record_again(lesson, scratch / "local", scratch / "writer"), reps)
    jobs = os.cpu_count()
    # A core's cost of one submission: the two-worker run kept both cores busy.
    per_submission = on_cluster[2] * 2 / students
    rows = [row(f"autograde {students} submissions of 01-tensors, Dask cluster of {workers} local worker(s)",
                f"{on_cluster[workers]:.0f} s", f"`corso grade` on this machine, {jobs} jobs",
                f"{local:.0f} s ({local / on_cluster[workers]:.2f}x)") for workers in (1, 2)]
    rows.append(row("the single writer: one result into the gradebook and its feedback page", f"{writer:.2f} s",
                    runs=n))
    for count in machines:
        grading = submissions * per_submission / (count * cores)
        rows.append(row(f"estimate: {submissions:,} submissions on {count} {cores}-core machine(s)",
                        f"{max(grading, submissions * writer) / 60:.0f} min",
                        f"from {per_submission:.1f} core-s a submission and {writer:.2f} s a record",
                        f"workers {grading / 60:.0f} min, writer {submissions * writer / 60:.0f} min"))
    return rows


def lms_rows(reps, students=400):
    """The LMS's own steps for a class of ``students`` as a Moodle download (lesson 01, both languages): reading
    the zip into submissions, writing the grading worksheet and the feedback zip (with real feedback pages)."""
    from corso import lms
    from corso.grading.collect import collect
    lesson = find_lesson(ROOT, "01-tensors")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        corso_grade(lesson, a_class(lesson, scratch / "two", 2), scratch / "graded")
        pages = sorted((scratch / "graded" / "feedback").glob(f"*/{lesson.id}/{lesson.slug}.html"))
        download = moodle_download(lesson, scratch / "moodle.zip", students)
        reading, (collected, _, layout), n = timed(lambda: collect(download, lesson, scratch / "collect"), reps)
        assert layout == lms.MOODLE_FOLDERS and len(collected) == students
        records = []
        for i, submission in enumerate(collected):
            page = scratch / "pages" / f"{submission.student}.html"
            page.parent.mkdir(exist_ok=True)
            page.write_bytes(pages[i % 2].read_bytes() + f"<!-- {submission.student} -->".encode())
            records.append(lms.GradeRecord(submission.student, submission.name, i % 14, 13, "make_grid: wrong dtype",
                                           feedback=page))
        worksheet, _, n_sheet = timed(lambda: lms.moodle_worksheet(records), reps)
        feedback, data, n_zip = timed(lambda: lms.moodle_feedback_zip(records), reps)
        size = download.stat().st_size
    return [row(f"LMS: read a Moodle download of {students} submissions ({size / 2**20:.0f} MiB) into submissions",
                f"{reading:.1f} s", runs=n),
            row(f"LMS: Moodle's grading worksheet for {students} students", f"{worksheet * 1000:.0f} ms",
                runs=n_sheet),
            row(f"LMS: Moodle's feedback zip of {students} feedback pages ({len(data) / 2**20:.0f} MiB)",
                f"{feedback:.1f} s", runs=n_zip)]


def moodle_download(lesson, path, students):
    """A Moodle "Download all submissions" zip (folders) of ``students`` solved notebooks, half in each language."""
    from corso.lms import moodle_clean_filename
    notebooks = {language: filled_release(lesson, language, path.with_name(f"{language}.ipynb")).read_bytes()
                 for language in ("it", "en")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(students):
            folder = moodle_clean_filename(f"Studente D'Esempio {i}_{1_000_000 + i}_assignsubmission_file")
            archive.writestr(f"{folder}/{lesson.slug}.ipynb", notebooks["it" if i % 2 else "en"])
    return path


def similarity_rows(reps, students=400):
    """The similarity step for ``students`` submissions of the largest lesson (04): each student's answers a
    seeded choice among the honest solutions of tests/similarity_corpus.py, as ``corso grade`` leaves them in
    ``submitted/``; the whole step (reading the notebooks, comparing, writing the page)."""
    import random

    from similarity_corpus import HONEST

    from corso.grading import similarity
    from corso.grading.collect import Submission
    lesson, rng = find_lesson(ROOT, "04-mnist-mlp"), random.Random(2026)
    with tempfile.TemporaryDirectory() as scratch:
        submitted, submissions = Path(scratch) / "submitted", []
        for i in range(students):
            nb = nbformat.read(lesson.release("it" if i % 2 else "en"), as_version=4)
            for cell in nb.cells:
                answers = HONEST.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
                if cell.metadata.get("nbgrader", {}).get("solution") and answers:
                    cell.source = rng.choice(answers)
            student = f"{1_000_000 + i}"
            (submitted / student / lesson.id).mkdir(parents=True)
            nbformat.write(nb, submitted / student / lesson.id / f"{lesson.slug}.ipynb")
            submissions.append(Submission(student, None, name=f"Studente {i}"))
        page = Path(scratch) / "similarity.html"
        seconds, comparison, n = timed(lambda: similarity.write_page(page, lesson, submissions, submitted), reps)
        size = page.stat().st_size
    return [row(f"similarity of {students} submissions of {lesson.id} (read, compare, write the page: "
                f"{len(comparison.pairs)} pairs listed, {size / 2**20:.1f} MiB)", f"{seconds:.1f} s",
                "target", "under 60 s", n)]


def record_again(lesson, graded, workdir):
    """The writer's part for one submission, ready to time: a notebook graded in ``graded`` recorded into a
    gradebook of its own in ``workdir``, as ``corso grade`` records a worker's result."""
    from corso.grading.record import record
    student = "s00"
    course = GradingCourse(ROOT, workdir)
    course.add_lesson(lesson)
    course.submit(lesson, student, graded / "submitted" / student / lesson.id / f"{lesson.slug}.ipynb")
    result = {"graded": (graded / "autograded" / student / lesson.id / f"{lesson.slug}.ipynb").read_text(),
              "feedback": (graded / "feedback" / student / lesson.id / f"{lesson.slug}.html").read_text(),
              "review": []}
    return lambda: record(course, lesson, student, result)


def markdown(rows, environment):
    lines = [f"Measured {environment['date']} on {environment['machine']}: {environment['cpus']} CPUs, "
             f"torch {environment['torch']} with {environment['threads']} threads"
             + (f", GPU {environment['gpu']}" if environment["gpu"] else ", no GPU") + ".", "",
             "| row | measured | baseline | baseline measured |", "|---|---|---|---|"]
    lines += [f"| {r['row']} | {r['value']} | {r['baseline']} | {r['baseline_value']} |" for r in rows]
    return "\n".join(lines)


def update_readme(table):
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(MARKERS[0]) + len(MARKERS[0]), text.index(MARKERS[1])
    readme.write_text(text[:start] + "\n" + table + "\n" + text[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--readme", action="store_true", help="also put the table in README.md")
    parser.add_argument("--only", choices=["lessons", "grading", "cluster", "lms", "similarity", "classroom"],
                        help="measure only these rows (no README update)")
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    environment = {"date": time.strftime("%Y-%m-%d"), "machine": platform.machine(), "cpus": os.cpu_count(),
                   "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None}
    if args.only:
        only = {"lessons": lambda reps: build_rows(reps) + notebook_rows(reps), "grading": grading_rows,
                "cluster": cluster_rows, "lms": lms_rows, "similarity": similarity_rows,
                "classroom": classroom_rows}[args.only]
        print(markdown(only(args.reps), environment))
        return
    rows = build_rows(args.reps) + notebook_rows(args.reps) + mnist_rows(torch.device("cpu"), args.reps)
    if torch.cuda.is_available():
        rows += mnist_rows(torch.device("cuda"), args.reps)
    rows += grading_rows(args.reps) + lms_rows(args.reps) + similarity_rows(args.reps) + cluster_rows(args.reps)
    rows += classroom_rows(args.reps) if os.geteuid() == 0 else []
    rows += [suite_row()]
    table = markdown(rows, environment)
    print(table)
    args.json.write_text(json.dumps({"environment": environment, "rows": rows}, indent=1) + "\n")
    if args.readme:
        update_readme(table)


if __name__ == "__main__":
    main()
