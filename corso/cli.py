"""corso: the course's workflow, one verb a step (run from the course's root folder).

    corso data                 unpack and verify the vendored MNIST under data/
    corso build                build release/, solutions/ and notebooks/ from source/
    corso build --check        exit 1, naming each stale generated file, if the build would change anything
    corso grade LESSON SUBMISSIONS|--exchange [--jobs N] [--workdir grading] [--db URL] [--timeout S] [--no-sandbox]
                               [--no-pool] [--profile] [--deadline WHEN] [--lms-language it|en] [--scale MAX]
                               [--roster WORKSHEET] [--canvas-assignment "TITLE (ID)"] [--no-similarity]
                               autograde a folder, zip or LMS download of submissions, each in a sandbox:
                               feedback, grades CSV (and the LMS's files), class report, similar answers,
                               summary (--profile: and where the time went); --exchange: the classroom's
                               latest submissions, and each student's feedback page back to the exchange
    corso feedback LESSON [--workdir grading] [--db URL]
                               make every student's feedback page again from the gradebook (after grading
                               written answers in the formgrader)
    corso check NOTEBOOK       a student's self-check: run the notebook, list the failing tests (exit 1)
    corso edition LANG [--target editions]
                               the student edition (it, en or both): a folder and a zip, with no answer in it
    corso classroom setup --students CSV [--instructor NAME] [--language it|en] [--port 8000] [--ip 127.0.0.1]
                               [--existing-accounts] [--proxy PATH] [--home /srv/corso]
                               (as root) the classroom: accounts, JupyterHub, the exchange, the student environment
    corso classroom start|stop|status [--home /srv/corso]
    corso classroom release LESSON [--home /srv/corso]
                               the lesson in the exchange, each student's language for each student
"""

import argparse
import os
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

from corso.lms import LMS_LANGUAGES

EXIT_CODES = """exit codes:
  0    done (build --check: up to date; check: every test passes)
  1    build --check: stale generated files; check: failing tests
  2    a usage error or bad input (not a course folder, unknown lesson, missing or broken file, a lesson that
       does not build, a folder it cannot write), explained in one line
  3    an unexpected failure (a bug): one line, and the details in the log file it names
  130  interrupted (Ctrl-C); corso grade keeps what it finished and resumes from there when run again
"""


def parser():
    parser = argparse.ArgumentParser(prog="corso", description=__doc__, epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('corso')}")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("data", help="unpack and verify the vendored MNIST")
    build_parser = verbs.add_parser("build", help="build the course from source/")
    build_parser.add_argument("--check", action="store_true", help="only report stale generated files")
    grade_parser = verbs.add_parser("grade", help="autograde a folder or zip of submissions")
    grade_parser.add_argument("lesson", help="the lesson, e.g. 01-tensors")
    grade_parser.add_argument("submissions", type=Path, nargs="?", help="a folder or a zip of notebooks")
    grade_parser.add_argument("--exchange", nargs="?", type=Path, const=Path("/srv/corso"), metavar="HOME",
                              help="grade the latest submissions in the classroom's exchange (its folder, default "
                                   "/srv/corso; the grading folder: the instructor's ~/grading) and release the "
                                   "feedback pages")
    grade_parser.add_argument("--jobs", type=int, default=os.cpu_count(),
                              help="submissions graded at once on this machine (default: one a core)")
    grade_parser.add_argument("--cluster", metavar="ADDRESS",
                              help="grade on a Dask cluster's workers: its scheduler, tcp://HOST:PORT, or its "
                                   "scheduler file (see README, 'Grading on a cluster')")
    grade_parser.add_argument("--workdir", type=Path, help="the grading folder (default: grading/)")
    grade_parser.add_argument("--db", help="gradebook database URL (default: SQLite in the grading folder)")
    grade_parser.add_argument("--timeout", type=int, help="seconds a cell may run (default: nbgrader_config.py)")
    grade_parser.add_argument("--profile", action="store_true",
                              help="print where the time went (each stage of a submission, CPU time by process) "
                                   "and write it to profile-LESSON.json in the grading folder")
    grade_parser.add_argument("--no-pool", action="store_true",
                              help="start each kernel in a sandbox of its own instead of forking it from a warm "
                                   "zygote (slower; the same grades)")
    grade_parser.add_argument("--no-similarity", action="store_true",
                              help="do not compare the students' answers (similarity-LESSON.html)")
    grade_parser.add_argument("--no-sandbox", action="store_true",
                              help="run student code without the sandbox (it runs as you: only for trusted work)")
    lms_options = grade_parser.add_argument_group("deadline and LMS files")
    lms_options.add_argument("--deadline", metavar="WHEN",
                             help="the lesson's deadline, e.g. '2026-10-15 23:59' (this machine's time zone) or "
                                  "'2026-10-15 23:59 Europe/Rome' (default: c.Corso.deadlines in nbgrader_config.py)")
    lms_options.add_argument("--lms-language", choices=LMS_LANGUAGES, default="it",
                             help="the language of the Moodle interface you upload the grading worksheet with: "
                                  "Moodle matches its column names in that language (default: it)")
    lms_options.add_argument("--scale", type=positive, metavar="MAX",
                             help="the LMS assignment's maximum grade (e.g. 30 or 100): points are mapped onto it, "
                                  "rounded half up to two decimals (default: raw points)")
    lms_options.add_argument("--roster", type=Path, metavar="WORKSHEET",
                             help="Moodle's grading worksheet of the assignment, downloaded beforehand: needed for "
                                  "group submissions (who is in each group), and adds emails")
    lms_options.add_argument("--canvas-assignment", metavar="'TITLE (ID)'",
                             help="the assignment's column in Canvas's gradebook, with its id (see README)")
    feedback_parser = verbs.add_parser("feedback", help="make the feedback pages again from the gradebook")
    feedback_parser.add_argument("lesson", help="the lesson, e.g. 01-tensors")
    feedback_parser.add_argument("--workdir", type=Path, help="the grading folder (default: grading/)")
    feedback_parser.add_argument("--db", help="gradebook database URL (default: SQLite in the grading folder)")
    check_parser = verbs.add_parser("check", help="self-check a notebook before submitting it")
    check_parser.add_argument("notebook", type=Path)
    edition_parser = verbs.add_parser("edition", help="make the student edition of a language (folder and zip)")
    edition_parser.add_argument("language", choices=["it", "en", "both"])
    edition_parser.add_argument("--target", type=Path, default=Path("editions"), help="where (default: editions/)")
    classroom_parser = verbs.add_parser("classroom", help="serve the course with JupyterHub (see README, 'Classroom')")
    actions = classroom_parser.add_subparsers(dest="action", required=True)
    setup_parser = actions.add_parser("setup", help="(as root) accounts, hub, exchange, student environment")
    setup_parser.add_argument("--students", type=Path, required=True,
                              help="Moodle's participants download (CSV: name, surname, email; a language column "
                                   "optional), or any CSV with those columns")
    setup_parser.add_argument("--instructor", default="docente", help="the instructor's account (default: docente)")
    setup_parser.add_argument("--language", choices=["it", "en"], default="it",
                              help="the language of students the CSV gives none for (default: it)")
    setup_parser.add_argument("--port", type=int, default=8000, help="the hub's port (default 8000; it also uses the "
                                                                       "next two, on 127.0.0.1)")
    setup_parser.add_argument("--ip", default="127.0.0.1", help="the hub's address (default: 127.0.0.1, behind "
                                                                 "your HTTPS reverse proxy)")
    setup_parser.add_argument("--existing-accounts", action="store_true",
                              help="use the accounts the machine has (LDAP, PAM) with their passwords; make none")
    setup_parser.add_argument("--proxy", type=Path, help="configurable-http-proxy (default: `make classroom`'s)")
    for action in ("start", "stop", "status"):
        actions.add_parser(action, help=f"{action} the hub" if action != "status" else "the hub and its servers")
    release_parser = actions.add_parser("release", help="put a lesson in the exchange")
    release_parser.add_argument("lesson", help="the lesson, e.g. 01-tensors")
    for action_parser in actions.choices.values():
        action_parser.add_argument("--home", type=Path, default=Path("/srv/corso"),
                                   help="the classroom's folder (default: /srv/corso)")
    return parser


def positive(text):
    """An argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0")
    return value


def main(argv=None):
    args = parser().parse_args(argv)
    # nbgrader runs helper programs (alembic) by name: find them beside this Python, venv activated or not.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # nbgrader's Gradebook.add_submission builds a submission's rows before adding them to its session, and
    # SQLAlchemy 2 warns about each on the first submission: harmless (it adds them next), noise to the instructor.
    warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session")
    from corso import build, check, classroom, course, data, edition, grading, language_pack, lessons
    try:
        return VERBS[args.verb](args)
    except (course.CourseError, lessons.SourceError, build.BuildError, data.DataError, grading.GradingError,
            check.CheckError, edition.EditionError, language_pack.LanguagePackError,
            classroom.ClassroomError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a path it was given, or the disk: no permission, no space, no such folder
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupted:
        print(str(interrupted) or "interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: the instructor gets one line, the details go to a private log
        print(f"error: unexpected {type(error).__name__} (a bug in corso {args.verb}); nothing you gave it was "
              f"changed; the details are in {unexpected_error_log()}", file=sys.stderr)
        return 3


def unexpected_error_log():
    """Write the current exception's traceback to a new file only this user can read; its path."""
    import tempfile
    import traceback
    descriptor, path = tempfile.mkstemp(prefix="corso-error-", suffix=".txt")
    with os.fdopen(descriptor, "w") as log:
        log.write(f"corso {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}")
    return path


def run_data(args):
    from corso import data
    for path in data.prepare_mnist():
        print(f"unpacked {path}")
    print(f"MNIST ready in {data.DATA_DIR} (checksums verified)")
    return 0


def run_build(args):
    from corso.build import build
    stale = build(args.root, check=args.check)
    if args.check:
        print(f"{len(stale)} stale generated files" if stale else "generated files are up to date")
        return 1 if stale else 0
    return 0


def run_grade(args):
    from tqdm import tqdm

    from corso import classroom
    from corso.course import course_root, find_lesson
    from corso.grading import GradingError, grade_class
    from corso.grading.profile import Profile, table
    from corso.grading.report import LmsOptions, summary
    root = course_root(args.root)
    if (args.submissions is None) == (args.exchange is None):
        raise GradingError("give the submissions (a folder or a zip) or --exchange, one of them")
    lesson, profile = find_lesson(root, args.lesson), Profile()
    workdir = args.workdir or (Path(classroom.read_classroom(args.exchange)["grading"]) if args.exchange
                               else root / "grading")
    submissions, handed_in = args.submissions, None
    if args.exchange:
        latest, submissions, handed_in = classroom.collect(args.exchange, lesson, workdir)
    options = LmsOptions(args.lms_language, args.scale, args.roster, args.canvas_assignment)
    report = grade_class(root, lesson, submissions, workdir, db_url=args.db, jobs=args.jobs,
                         timeout=args.timeout, sandbox=not args.no_sandbox, cluster=args.cluster, profile=profile,
                         pool=not args.no_pool, deadline=args.deadline, lms_options=options,
                         similarity=not args.no_similarity, exchange=handed_in,
                         progress=lambda total: tqdm(total=total, unit="submission", file=sys.stderr))
    print(summary(report))
    if args.exchange:
        released = classroom.hand_back(args.exchange, lesson, workdir, latest)
        print(f"feedback released to the exchange: {len(released)} of {len(latest)} students (they fetch it from "
              "the Assignments tab)")
    if args.profile:
        print(table(profile.write(Path(workdir, f"profile-{lesson.id}.json"))))
    return 0


def run_feedback(args):
    from corso.course import course_root, find_lesson
    from corso.grading.feedback import regenerate
    root = course_root(args.root)
    for page in regenerate(root, find_lesson(root, args.lesson), args.workdir or root / "grading", args.db):
        print(f"wrote {page}")
    return 0


def run_check(args):
    from corso import check
    from corso.course import course_root
    return check.run(course_root(args.root), args.notebook)


def run_edition(args):
    from corso import edition
    from corso.course import course_root
    root = course_root(args.root)
    target = args.target if args.target.is_absolute() else root / args.target
    made = edition.make_edition(root, args.language, target)
    for path in made.written:
        print(f"wrote {path}")
    print(f"{made.folder}\n{made.zip}" + ("" if made.written else "  (up to date)"))
    return 0


def run_classroom(args):
    from corso import classroom
    from corso.course import course_root, find_lesson
    home = args.home
    if args.action == "setup":
        passwords = classroom.setup(course_root(args.root), args.students, home, args.instructor, args.language,
                                    args.port, args.ip, args.existing_accounts, args.proxy)
        print(f"classroom ready in {home}; start it with: corso classroom start")
        if passwords:
            print("new accounts and their passwords (shown this once; give each person theirs):")
            for login, password in passwords.items():
                print(f"  {login}  {password}")
    elif args.action == "start":
        print(f"hub running at {classroom.start(home)}")
    elif args.action == "stop":
        print("hub stopped" if classroom.stop(home) else "hub was not running")
    elif args.action == "status":
        print("\n".join(classroom.status(home)))
    else:
        root = course_root(args.root)
        for folder in classroom.release(root, find_lesson(root, args.lesson), home):
            print(f"released {folder}")
    return 0


VERBS = {"classroom": run_classroom, "data": run_data,
         "build": run_build, "grade": run_grade, "feedback": run_feedback, "check": run_check,
         "edition": run_edition}

if __name__ == "__main__":
    sys.exit(main())
