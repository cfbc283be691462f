"""corso: the course's workflow, one verb a step (run from the course's root folder).

    corso data                 unpack and verify the vendored MNIST under data/
    corso build                build release/, solutions/ and notebooks/ from source/
    corso build --check        exit 1, naming each stale generated file, if the build would change anything
    corso grade LESSON SUBMISSIONS [--jobs N] [--workdir grading] [--db URL] [--timeout S]
                               autograde a folder or zip of submissions: feedback, grades CSV, summary
    corso check NOTEBOOK       a student's self-check: run the notebook, list the failing tests (exit 1)
"""

import argparse
import os
import sys
from pathlib import Path

from corso import build as building
from corso import data
from corso import grade as grading
from corso import check as checking
from corso.lessons import SourceError, find_lessons


def main(argv=None):
    parser = argparse.ArgumentParser(prog="corso", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("data", help="unpack and verify the vendored MNIST")
    build_parser = verbs.add_parser("build", help="build the course from source/")
    build_parser.add_argument("--check", action="store_true", help="only report stale generated files")
    grade_parser = verbs.add_parser("grade", help="autograde a folder or zip of submissions")
    grade_parser.add_argument("lesson", help="the lesson, e.g. 01-tensors")
    grade_parser.add_argument("submissions", type=Path, help="a folder or a zip of notebooks")
    grade_parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="submissions graded at once")
    grade_parser.add_argument("--workdir", type=Path, help="the grading folder (default: grading/)")
    grade_parser.add_argument("--db", help="gradebook database URL (default: SQLite in the grading folder)")
    grade_parser.add_argument("--timeout", type=int, help="seconds a cell may run (default: nbgrader_config.py)")
    check_parser = verbs.add_parser("check", help="self-check a notebook before submitting it")
    check_parser.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    # nbgrader runs helper programs (alembic) by name: find them beside this Python, venv activated or not.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        return VERBS[args.verb](args)
    except (SourceError, building.BuildError, data.DataError, grading.GradingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run_data(args):
    written = data.prepare_mnist()
    for path in written:
        print(f"unpacked {path}")
    print(f"MNIST ready in {data.DATA_DIR} (checksums verified)")
    return 0


def run_build(args):
    stale = building.build(args.root, check=args.check)
    if args.check:
        print(f"{len(stale)} stale generated files" if stale else "generated files are up to date")
        return 1 if stale else 0
    return 0


def run_grade(args):
    from tqdm import tqdm
    lesson = next((lesson for lesson in find_lessons(args.root) if lesson.id == args.lesson), None)
    if lesson is None:
        raise grading.GradingError(f"no lesson {args.lesson!r} in {args.root / 'source'}")
    report = grading.grade_class(args.root, lesson, args.submissions, args.workdir or args.root / "grading",
                                 db_url=args.db, jobs=args.jobs, timeout=args.timeout,
                                 progress=lambda total: tqdm(total=total, unit="submission", file=sys.stderr))
    print(grading.summary(report))
    return 0


def run_check(args):
    failures = checking.self_check(args.root, args.notebook)
    print(checking.describe(args.notebook, failures))
    return 1 if failures else 0


VERBS = {"data": run_data, "build": run_build, "grade": run_grade, "check": run_check}

if __name__ == "__main__":
    sys.exit(main())
