"""Report: what a grading run produced, for the instructor and for the LMS.

- ``grades-<lesson>.csv``: one row per student, one column per graded cell, the total, the problems;
- for an LMS download: Moodle's grading worksheet and feedback zip, or Canvas's gradebook CSV (``corso.lms``);
- ``class-report-<lesson>.html``: the class report, one self-contained page (``class_report``);
- the summary table printed at the end of ``corso grade``.
"""

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from corso import lms
from corso.files import write_atomic
from corso.grading import class_report
from corso.grading.outcomes import number


@dataclass
class Report:
    """A grading run's submissions with their scores, and the files it wrote."""

    submissions: list
    max_points: dict  # grade id -> points, in notebook order
    ignored: list
    csv: Path
    resumed: int
    sandboxed: bool = True


def printable(text):
    """``text`` without control characters (a submission's error message or file name may carry terminal
    escape sequences: they must not reach the instructor's terminal or spreadsheet)."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "?", str(text))


def class_report_path(report):
    """``class-report-<lesson>.html`` beside ``grades-<lesson>.csv``."""
    return report.csv.with_name(f"class-report-{report.csv.stem.removeprefix('grades-')}.html")


def write_reports(report, lesson, layout):
    """The grades CSV, the class report, and the LMS's own files when the submissions came from one."""
    write_atomic(report.csv, grades_csv(report), mode=0o600)
    write_atomic(class_report_path(report), class_report.render(report, lesson), mode=0o600)
    folder = report.csv.parent
    records = [lms.GradeRecord(s.student, s.name or s.student, s.total, sum(report.max_points.values()),
                               "\n".join(s.problems),
                               feedback=folder / "feedback" / s.student / lesson.id / f"{lesson.slug}.html")
               for s in report.submissions]
    if layout in (lms.MOODLE_FOLDERS, lms.MOODLE_FLAT):
        write_atomic(folder / f"moodle-worksheet-{lesson.id}.csv", lms.moodle_worksheet(records), mode=0o600)
        existing = [r for r in records if r.feedback.exists()]
        write_atomic(folder / f"moodle-feedback-{lesson.id}.zip", lms.moodle_feedback_zip(existing), mode=0o600)
    elif layout == lms.CANVAS:
        write_atomic(folder / f"canvas-{lesson.id}.csv", lms.canvas_gradebook(records, lesson.id), mode=0o600)


def grades_csv(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "name", "language", *report.max_points, "total", "sandboxed", "problems"])
    for submission in report.submissions:
        scores = [number(submission.scores.get(grade_id, 0 if not submission.scores else None))
                  for grade_id in report.max_points]
        writer.writerow([submission.student, printable(submission.name), submission.language, *scores,
                         number(submission.total), "yes" if report.sandboxed else "NO",
                         printable("; ".join(submission.problems))])
    return out.getvalue()


def summary(report):
    """The table printed at the end of a grading run."""
    columns = [grade_id.removesuffix("_tests") for grade_id in report.max_points]
    header = ["student", "lang", *columns, "total", "problems"]
    rows = [["(max)", "", *map(number, report.max_points.values()), number(sum(report.max_points.values())), ""]]
    for submission in report.submissions:
        scores = ["-" if submission.scores.get(grade_id, 0) is None else number(submission.scores.get(grade_id, 0))
                  for grade_id in report.max_points]
        rows.append([submission.student, submission.language, *scores, number(submission.total),
                     printable("; ".join(submission.problems)) or "ok"])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + str(row[-1])
             for row in [header, *rows]]
    lines += [f"ignored: {printable(note)}" for note in report.ignored]
    if not report.sandboxed:
        lines.append("NOT SANDBOXED (--no-sandbox): the submissions ran with your privileges, and their scores "
                     "can be forged")
    lines.append(f"{len(report.submissions)} students ({report.resumed} already graded, not graded again); "
                 f"grades in {report.csv}; feedback in {report.csv.parent / 'feedback'}")
    lines.append(f"class report: {class_report_path(report)}")
    return "\n".join(lines)
