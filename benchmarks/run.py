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
from pathlib import Path

import nbformat
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from mnist import mnist_rows, row  # noqa: E402
from submissions import filled_release  # noqa: E402

from corso.build import build, execute_notebook  # noqa: E402
from corso.check import self_check  # noqa: E402
from corso.course import GradingCourse, load_config  # noqa: E402
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


def grading_rows(reps, students=40):
    lesson = next(lesson for lesson in find_lessons(ROOT) if lesson.id == "01-tensors")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        handed_in = scratch / "submissions"
        handed_in.mkdir()
        for i in range(students):  # a class: mostly solved, some unanswered, in both languages
            language = "it" if i % 2 else "en"
            if i % 4 == 3:
                shutil.copy(lesson.release(language), handed_in / f"s{i:02d}.ipynb")
            else:
                filled_release(lesson, language, handed_in / f"s{i:02d}.ipynb")
        start = time.perf_counter()
        sequential = GradingCourse(ROOT, scratch / "sequential", sandbox=False)  # nbgrader as it comes
        sequential.add_lesson(lesson)
        for notebook in sorted(handed_in.iterdir()):
            sequential.submit(lesson, notebook.stem, notebook)
            sequential.autograde(lesson, notebook.stem)
        baseline = time.perf_counter() - start
        ours = {}
        for flags in ([], ["--no-sandbox"]):
            start = time.perf_counter()
            subprocess.run([Path(sys.executable).parent / "corso", "--root", ROOT, "grade", lesson.id, handed_in,
                            "--workdir", scratch / f"parallel{len(flags)}", *flags], check=True, capture_output=True)
            ours[bool(flags)] = time.perf_counter() - start
        solved = filled_release(lesson, "it", scratch / "solved.ipynb")
        one = {}
        for sandbox in (True, False):
            course = GradingCourse(ROOT, scratch / f"one-{sandbox}", sandbox=sandbox)
            course.add_lesson(lesson)
            course.submit(lesson, "solved", solved)
            one[sandbox], _, n_one = timed(lambda course=course: course.autograde(lesson, "solved"), reps)
        check, _, n = timed(lambda: self_check(ROOT, solved), reps)
    jobs = os.cpu_count()
    return [row(f"autograde {students} submissions of 01-tensors, sandboxed",
                f"{ours[False]:.0f} s (`corso grade`, {jobs} jobs)",
                "plain sequential nbgrader autograde", f"{baseline:.0f} s ({baseline / ours[False]:.2f}x)"),
            row(f"autograde {students} submissions of 01-tensors, `--no-sandbox`",
                f"{ours[True]:.0f} s (`corso grade`, {jobs} jobs)",
                "plain sequential nbgrader autograde", f"{baseline:.0f} s ({baseline / ours[True]:.2f}x)"),
            row("one submission's autograde, sandboxed and guarded", f"{one[True]:.1f} s",
                "the same without the sandbox", f"{one[False]:.1f} s (+{one[True] - one[False]:.1f} s)", n_one),
            row("student self-check of one notebook (`corso check`)", f"{check:.1f} s", runs=n)]


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
    parser.add_argument("--only", choices=["grading"], help="measure only these rows (no README update)")
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    environment = {"date": time.strftime("%Y-%m-%d"), "machine": platform.machine(), "cpus": os.cpu_count(),
                   "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None}
    if args.only == "grading":
        print(markdown(grading_rows(args.reps), environment))
        return
    rows = build_rows(args.reps) + notebook_rows(args.reps) + mnist_rows(torch.device("cpu"), args.reps)
    if torch.cuda.is_available():
        rows += mnist_rows(torch.device("cuda"), args.reps)
    rows += grading_rows(args.reps) + [suite_row()]
    table = markdown(rows, environment)
    print(table)
    args.json.write_text(json.dumps({"environment": environment, "rows": rows}, indent=1) + "\n")
    if args.readme:
        update_readme(table)


if __name__ == "__main__":
    main()
