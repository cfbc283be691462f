"""Report: what a grading run produced, for the instructor and for the LMS.

- ``grades-<lesson>.csv``: one row per student, one column per graded cell, the total, the problems;
- for an LMS download: Moodle's grading worksheet (its columns in the language of the instructor's Moodle) and
  feedback zip, or Canvas's gradebook CSV (``corso.lms``), the grades on the LMS's scale when one is given, a
  group's result for each of its members;
- ``class-report-<lesson>.html``: the class report, one self-contained page (``class_report``), linking the
  similarity page (``similarity``) when one was made;
- the summary table printed at the end of ``corso grade``.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from corso import lms
from corso.files import write_atomic
from corso.grading import class_report
from corso.grading.outcomes import number


@dataclass(frozen=True)
class LmsOptions:
    """How the LMS's files are written (``corso grade --lms-language --scale --roster --canvas-assignment``)."""

    language: str = "it"  # of the Moodle interface that uploads the worksheet (its column names)
    scale: float | None = None  # the LMS's maximum grade: points are mapped onto it (None: raw points)
    roster: Path | None = None  # Moodle's grading worksheet, downloaded beforehand (groups, emails)
    canvas_assignment: str | None = None  # Canvas's "Title (id)" of the assignment


@dataclass
class Report:
    """A grading run's submissions with their scores, and the files it wrote."""

    submissions: list
    max_points: dict  # grade id -> points, in notebook order
    ignored: list
    csv: Path
    resumed: int
    sandboxed: bool = True
    lms: LmsOptions = LmsOptions()
    lms_notes: list = field(default_factory=list)  # what the LMS files hold, or why one was not written
    similarity: tuple | None = None  # (the similarity page, the number of pairs it lists); None: not made

    @property
    def max_total(self):
        return sum(self.max_points.values())

    def on_scale(self, submission):
        """The submission's grade on the LMS's scale (None without ``--scale``)."""
        return lms.on_scale(submission.total, self.max_total, self.lms.scale) if self.lms.scale else None


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
    folder, records = report.csv.parent, list(lms_records(report, lesson))
    if layout in (lms.MOODLE_FOLDERS, lms.MOODLE_FLAT):
        worksheet = folder / f"moodle-worksheet-{lesson.id}.csv"
        write_atomic(worksheet, lms.moodle_worksheet(records, language=report.lms.language), mode=0o600)
        existing = [r for r in records if r.feedback.exists()]
        write_atomic(folder / f"moodle-feedback-{lesson.id}.zip", lms.moodle_feedback_zip(existing), mode=0o600)
        report.lms_notes.append(f"Moodle: {worksheet.name} (columns in {LANGUAGE_NAMES[report.lms.language]}: "
                                f"upload it with Moodle in that language; --lms-language to change), "
                                f"grades {_scale_note(report)}")
    elif layout == lms.CANVAS:
        report.lms_notes.extend(_canvas(report, lesson, records, folder / f"canvas-{lesson.id}.csv"))


LANGUAGE_NAMES = {"it": "Italian", "en": "English"}


def _scale_note(report):
    return f"out of {number(report.lms.scale)} (--scale)" if report.lms.scale else \
        f"in points out of {number(report.max_total)} (the assignment's maximum grade in the LMS must be the same, " \
        "or use --scale)"


def _canvas(report, lesson, records, path):
    """Canvas's gradebook CSV, or the line that says why Canvas cannot take one."""
    anonymous = [r for r in records if not r.participant.isdigit()]
    if anonymous:
        return [f"Canvas: no gradebook CSV: the download is anonymous ({len(anonymous)} submissions with ids such "
                f"as {anonymous[0].participant}), and Canvas's gradebook import finds students by their user id only; "
                f"enter the grades of {report.csv.name} in SpeedGrader, or download again with anonymous grading off"]
    title = report.lms.canvas_assignment or lesson.id
    write_atomic(path, lms.canvas_gradebook(records, title), mode=0o600)
    lines = [f"Canvas: {path.name}, grades {_scale_note(report)}"]
    if not lms.CANVAS_TITLE_AND_ID.fullmatch(title):
        lines.append(f"Canvas: the assignment column is {title!r}, with no Canvas id: Canvas adds a new assignment "
                     "unless a title matches exactly; pass --canvas-assignment 'Title (id)' (see README)")
    return lines


def lms_records(report, lesson):
    """One record a person the LMS knows: a group's result for each member; the grade on the LMS's scale."""
    feedback = report.csv.parent / "feedback"
    for submission in report.submissions:
        scaled = report.on_scale(submission)
        grade, maximum = (scaled, report.lms.scale) if scaled is not None else (submission.total, report.max_total)
        comment = "\n".join(submission.problems)
        # With a roster, only the people it lists (a group's members); without, the LMS's participant itself.
        people = submission.members if report.lms.roster else [lms.Participant(submission.student, submission.name)]
        for person in people:
            yield lms.GradeRecord(person.participant, person.name or submission.student, grade, maximum, comment,
                                  person.email, feedback / submission.student / lesson.id / f"{lesson.slug}.html")


def late_line(submission):
    """The problem line of a submission handed in after the deadline (the LMS's comment says it too)."""
    hours, seconds = divmod(round(submission.late_seconds), 3600)
    late = f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h {seconds // 60} min"
    penalty = f"; late penalty -{number(submission.penalty)} points" if submission.penalty else ""
    return f"handed in late: {late} after the deadline{penalty}"


def grades_csv(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    scaled = [f"grade (out of {number(report.lms.scale)})"] if report.lms.scale else []
    writer.writerow(["student", "name", "language", *report.max_points, "late (hours)", "late penalty", "total",
                     *scaled, "sandboxed", "problems"])
    for submission in report.submissions:
        scores = [number(submission.scores.get(grade_id, 0 if not submission.scores else None))
                  for grade_id in report.max_points]
        writer.writerow([submission.student, printable(submission.name), submission.language, *scores,
                         number(round(submission.late_seconds / 3600, 2)) if submission.late_seconds else "",
                         number(submission.penalty) if submission.penalty else "", number(submission.total),
                         *([number(report.on_scale(submission))] if scaled else []),
                         "yes" if report.sandboxed else "NO", printable("; ".join(submission.problems))])
    return out.getvalue()


def summary(report):
    """The table printed at the end of a grading run."""
    columns = [grade_id.removesuffix("_tests") for grade_id in report.max_points]
    scaled = [f"/{number(report.lms.scale)}"] if report.lms.scale else []
    header = ["student", "lang", *columns, "total", *scaled, "problems"]
    rows = [["(max)", "", *map(number, report.max_points.values()), number(report.max_total),
             *map(number, [report.lms.scale] if scaled else []), ""]]
    for submission in report.submissions:
        scores = ["-" if submission.scores.get(grade_id, 0) is None else number(submission.scores.get(grade_id, 0))
                  for grade_id in report.max_points]
        rows.append([submission.student, submission.language, *scores, number(submission.total),
                     *([number(report.on_scale(submission))] if scaled else []),
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
    lines += report.lms_notes
    lines.append(f"class report: {class_report_path(report)}")
    if report.similarity:
        page, pairs = report.similarity
        lines.append(f"similar answers, to look at: {page} ({pairs} pairs above the threshold)")
    return "\n".join(lines)
