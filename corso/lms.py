"""What an LMS hands out and takes back: Moodle's and Canvas's submission zips in, their grade files out.

Pure functions over names, plain records and bytes; nothing here runs a notebook or touches a gradebook.
Every naming rule is the LMS's own, read from its source (cited beside each rule):

IN   ``read_entries(names)`` / ``read_zip(path)``: the entries of a "Download all submissions" zip, each with
     the LMS's participant identifier, the student's name as the LMS wrote it, and the student's file.
     Recognised from the entry names alone: Moodle folder-per-participant, Moodle flat, Canvas.
OUT  ``moodle_worksheet(records)``: Moodle's offline grading worksheet (CSV) for "Upload grading worksheet";
     ``canvas_gradebook(records, ...)``: Canvas's gradebook import CSV;
     ``moodle_feedback_zip(records)``: feedback files for "Upload multiple feedback files in a zip".
"""

import csv
import html
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path, PurePosixPath

from corso.wheel import deterministic_zip

MOODLE_FOLDERS, MOODLE_FLAT, CANVAS = "moodle-folders", "moodle-flat", "canvas"


class LmsFormatError(ValueError):
    """The zip's entry names follow no LMS layout this module knows."""


@dataclass(frozen=True)
class Entry:
    """One file of an LMS download."""

    layout: str         # MOODLE_FOLDERS, MOODLE_FLAT or CANVAS
    participant: str    # Moodle: the participant id of the assignment, or of a group submission the group id ("" for
                        # the default group); Canvas: the user id (or anon_<id>)
    name: str           # the student's (or group's) name as the LMS wrote it in the file name (Canvas: a lowercase
                        # slug), in Unicode's composed form (NFC) whatever the zip used
    path: str           # the entry's name in the zip
    filename: str       # the student's own file name (Moodle folders: the path inside the student's folder)
    late: bool = False  # Canvas marks late submissions in the name; Moodle does not
    plugin: str = ""    # Moodle: the submission plugin ("file", "onlinetext"); Canvas: ""
    attachment: str = ""  # Canvas: the attachment id
    kind: str = "file"  # Canvas: "text" or "url" for an entry Canvas wrote (a text or a link), not a file


# ---------------------------------------------------------------------------------------------------
# IN: Moodle
#
# moodle/moodle mod/assign/classes/downloader.php (get_student_prefix, load_submissionplugin_filelist):
#   prefix = clean_filename(str_replace('_', ' ', fullname) . '_' . get_uniqueid_for_user(userid))
#   (anonymous submissions: fullname = get_string('participant') = "Participant", "Partecipante" in Italian)
#   group submissions (teamsubmission): prefix = clean_filename(str_replace('_', ' ', group name) . '_' . group id),
#   or, for those in no group, get_string('defaultteam') alone, with no id ("Default group"); one folder a group.
#   (commit da5455238d1a24a0246b11f4b682b73664993c0b). Nothing in the names tells a group's id from a
#   participant's: Moodle's grading worksheet, downloaded beforehand (``read_roster``), says which it is.
#   folders (the default since 3.1, user preference assign_downloadasfolders = 1):
#       clean_filename(prefix . '_' . subtype . '_' . type) . filepath . filename
#       ("..._assignsubmission_file/tensors.ipynb"; before 4.1 the folder ended in "_": "..._file_/...")
#   flat: clean_filename(prefix . '_' . subtype . '_' . type . '_' . filename)
# lib/moodlelib.php clean_param(PARAM_FILE) (what clean_filename applies) deletes control characters and
#   & < > " ` | ' : \ /  -- so "Nicolò D'Amico" is written "Nicolò DAmico"; underscores in a name became spaces.
# The reading rule is Moodle's own, from mod/assign/feedback/file/importziplib.php
# (is_valid_filename_for_import): each path part is split on "_" into at most 5 pieces
# fullname, participant id (numeric), plugin subtype, plugin type, rest; the first part that fits wins.

MOODLE_SUBMISSION_SUBTYPE = "assignsubmission"
_PARAM_FILE_DELETED = re.compile(r"[\x00-\x1f\x7f&<>\"`|':\\/]")


def moodle_clean_filename(text):
    """Moodle's clean_filename (clean_param PARAM_FILE, lib/moodlelib.php)."""
    cleaned = _PARAM_FILE_DELETED.sub("", text)
    return "" if cleaned in (".", "..") else cleaned


def _moodle_entry(path):
    parts = unicodedata.normalize("NFC", path).split("/")
    for index, part in enumerate(parts):
        info = part.split("_", 4)  # PHP explode("_", $pathpart, 5)
        if len(info) >= 3 and info[1] == MOODLE_SUBMISSION_SUBTYPE:  # the default group: no id
            info.insert(1, "")
            info[4:] = ["_".join(info[4:])] if len(info) > 4 else []
        if len(info) < 4 or not (info[1].isdigit() or info[1] == "") or info[2] != MOODLE_SUBMISSION_SUBTYPE \
                or not info[3]:
            continue
        rest = [info[4]] if len(info) == 5 else [""]
        inside = "/".join(piece for piece in rest + parts[index + 1:] if piece)
        if not inside:
            return None
        layout = MOODLE_FOLDERS if index + 1 < len(parts) else MOODLE_FLAT
        return Entry(layout, info[1] and str(int(info[1])), info[0], path, inside, plugin=info[3])
    return None


# ---------------------------------------------------------------------------------------------------
# IN: Canvas
#
# instructure/canvas-lms lib/content_zipper.rb (add_submission, get_filename, add_upload_submission):
#   users_name = sortable_name ("D'Amico, Nicolò"), "_<digits>_" collapsed, downcased (sanitize_user_name)
#   filename = [users_name, submission.late? ? "LATE" : nil, user_id].compact.join("_"), then every
#     non-word character deleted (sanitize_file_name: gsub(/[^[[:word:]]]/, "")) -> "damiconicolò_LATE_1001"
#   anonymous grading: users_name is nil and the id is "anon_<anonymous_id>"
#   each uploaded file: "#{filename}_#{attachment.id}_#{display_name}" (display_name with \x00 / \ : * ? " < > |
#     replaced by "_"); only the current attempt's files are zipped, flat, no folders.
# Canvas's own reading rule for these names (app/models/assignment.rb infer_comment_context_from_filename):
#   split the base name on "_"; the first two all-digit pieces are the user id and the attachment id.

#   a text entry is written as "#{filename}_text.html", a URL as "#{filename}_link.html" (add_text_or_url): pages
#     Canvas made, with no attachment id (commit 05e9653c12ef7afc65815ca84e5da7aa2e4c3bd3);
#   group assignments graded as a group: one submission per group, named after the group with one member's user
#     id (assignment.rb representatives): nothing in the name says it is a group.

_CANVAS_ANON = re.compile(r"^(?:(LATE)_)?anon_([A-Za-z0-9]+)_(?:(\d+)_(.+)|(text|link)\.html)$")
CANVAS_PAGES = {"text": "text", "link": "url"}


def _canvas_entry(path):
    text = unicodedata.normalize("NFC", path)
    if "/" in text:
        return None
    anonymous = _CANVAS_ANON.match(text)
    if anonymous:
        late, anon_id, attachment, filename, page = anonymous.groups()
        return Entry(CANVAS, f"anon_{anon_id}", "", path, filename or f"{page}.html", late=bool(late),
                     attachment=attachment or "", kind=CANVAS_PAGES[page] if page else "file")
    pieces = text.split("_")
    digits = [i for i, piece in enumerate(pieces) if re.fullmatch(r"\d+", piece)][:2]
    upload = len(digits) == 2 and digits[1] == digits[0] + 1 and digits[1] + 1 < len(pieces)
    page = not upload and digits and digits[0] == len(pieces) - 2 and pieces[-1].removesuffix(".html") in CANVAS_PAGES
    if not upload and not page:
        return None
    name_pieces = pieces[:digits[0]]
    late = bool(name_pieces) and name_pieces[-1] == "LATE"
    if late:
        name_pieces = name_pieces[:-1]
    name = "_".join(name_pieces)
    if not re.fullmatch(r"\w*", name):  # sanitize_file_name left only word characters
        return None
    if page:
        return Entry(CANVAS, pieces[digits[0]], name, path, pieces[-1], late=late,
                     kind=CANVAS_PAGES[pieces[-1].removesuffix(".html")])
    filename = "_".join(pieces[digits[1] + 1:])
    return Entry(CANVAS, pieces[digits[0]], name, path, filename, late=late, attachment=pieces[digits[1]])


# ---------------------------------------------------------------------------------------------------
# IN: recognition

def _ignored(name):
    """Folders and the files an unzip tool or an OS adds (Moodle's importer skips hidden files too)."""
    base = PurePosixPath(name).name
    return name.endswith("/") or name.startswith("__MACOSX/") or base.startswith((".", "~"))


def detect(names):
    """The layout of a zip with these entry names: MOODLE_FOLDERS, MOODLE_FLAT, CANVAS, or None."""
    files = [name for name in names if not _ignored(name)]
    if not files:
        return None
    moodle = [_moodle_entry(name) for name in files]
    if all(moodle):
        return MOODLE_FOLDERS if any(entry.layout == MOODLE_FOLDERS for entry in moodle) else MOODLE_FLAT
    if all(_canvas_entry(name) for name in files):
        return CANVAS
    return None


def read_entries(names):
    """The entries of an LMS download, from the zip's entry names (in their order); LmsFormatError when the
    names follow no known layout (then it is one of the course's own layouts, or not a submission zip)."""
    layout = detect(names)
    if layout is None:
        files = [name for name in names if not _ignored(name)]
        strays = [name for name in files if not _moodle_entry(name) and not _canvas_entry(name)][:3]
        raise LmsFormatError(f"not a Moodle or Canvas submissions zip (e.g. {strays or files[:3]})")
    parse = _canvas_entry if layout == CANVAS else _moodle_entry
    return [parse(name) for name in names if not _ignored(name)]


def read_zip(path):
    """``read_entries`` over a zip file's entry names."""
    with zipfile.ZipFile(path) as archive:
        return read_entries(archive.namelist())


def by_participant(entries):
    """{participant id: [entries]} in first-seen order: one student's files together."""
    grouped = {}
    for entry in entries:
        grouped.setdefault(entry.participant, []).append(entry)
    return grouped


# ---------------------------------------------------------------------------------------------------
# OUT: the records the grader hands over

@dataclass(frozen=True)
class GradeRecord:
    """One student's result, as the LMS knows the student."""

    participant: str     # Moodle participant id (from the download) / Canvas user id
    name: str
    score: float
    max_score: float
    comment: str = ""    # plain text, one problem per line
    email: str = ""
    feedback: object = None  # path of an HTML feedback file, or None


def _number(value):
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def on_scale(points, max_points, scale):
    """``points`` out of ``max_points`` as a grade out of ``scale`` (the LMS's maximum grade): proportional,
    rounded half up to two decimals (the precision Moodle and Canvas show), never above ``scale``."""
    if not max_points:
        return Decimal(0)
    grade = Decimal(str(points)) / Decimal(str(max_points)) * Decimal(str(scale))
    return min(grade.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), Decimal(str(scale)))


# ---------------------------------------------------------------------------------------------------
# OUT: Moodle's offline grading worksheet
#
# moodle/moodle mod/assign/feedback/offline/importgradeslib.php (assignfeedback_offline_grade_importer,
# commit 9762977c028cbd1884ed311a94c49efbae87591b): columns are found by their header, compared (==) with
# get_string() in the importing user's language: get_string('recordid', 'assign'), get_string('gradenoun')
# (get_string('grade') before Moodle 3.11, MDL-71118: the same text in both languages below),
# get_string('lastmodifiedgrade', 'assign') (all three required, else "invalidgradeimport"), and each
# feedback plugin's editor field by its description: assignfeedback_comments get_editor_fields()
# -> get_string('pluginname', 'assignfeedback_comments') (a feedback column at index 0 is ignored:
# !empty($details['index'])). The participant id is what follows get_string('hiddenuser', 'assign') in the
# identifier.
# mod/assign/feedback/offline/locallib.php (process_import_grades): the grade goes through unformat_float
# (lib/moodlelib.php: the language's decimal separator, "," in Italian, read as "."; the thousands separator,
# "." in Italian, left alone: "7.5" is 7.5 in both languages);
# a row is skipped when the grade is empty or negative, above the assignment's maximum, equal to the current
# grade, or older (Last modified (grade) + 60 s) than the grade already in Moodle unless "ignore modified"
# is ticked; feedback comments are stored as HTML (commentformat FORMAT_HTML).
# mod/assign/gradingtable.php: the downloaded worksheet also has get_string('fullname'), the identity fields
# (get_string('email')), get_string('submissionteam', 'assign') for group submissions (the group's name, or
# get_string('defaultteam', 'assign')), get_string('maxgrade', 'assign'): the importer ignores them.
MOODLE_HEADERS = {
    # The Italian language pack: projectestac/moodle-langpacks (a mirror of download.moodle.org/langpack),
    # commit 9f605206302e557beb3d879e8bb1fa9665f9996e (Moodle 4.5, the same strings since 3.11): it/assign.php,
    # it/moodle.php, it/assignfeedback_comments.php. Note 'hiddenuser' has no trailing space in Italian: the
    # identifier is "Partecipante1234567".
    "it": {
        "identifier": "Identificativo",
        "participant": "Partecipante",
        "fullname": "Nome",
        "email": "Indirizzo email",
        "team": "Gruppo",
        "grade": "Valutazione",
        "maxgrade": "Valutazione massima",
        "modified": "Ultima modifica (valutazione)",
        "comments": "Commenti",
    },
    # moodle/moodle 4.5.6 (the verbatim import paulkennethsq1/hrsq1, commit
    # b6e90f4291b8a456c305efc5347d72a803fc9389): mod/assign/lang/en/assign.php, lang/en/moodle.php,
    # mod/assign/feedback/comments/lang/en/assignfeedback_comments.php ('hiddenuser' is "Participant ").
    "en": {
        "identifier": "Identifier",
        "participant": "Participant ",
        "fullname": "Full name",
        "email": "Email address",
        "team": "Group",
        "grade": "Grade",
        "maxgrade": "Maximum grade",
        "modified": "Last modified (grade)",
        "comments": "Feedback comments",
    },
}
LMS_LANGUAGES = tuple(MOODLE_HEADERS)


def moodle_comment_html(comment):
    """A plain-text comment as the HTML Moodle stores for feedback comments (one line per problem)."""
    return "<br>".join(html.escape(line) for line in comment.splitlines() if line.strip())


def moodle_worksheet(records, modified=None, language="it"):
    """The worksheet CSV (str, UTF-8 text, comma separated) for Moodle's "Upload grading worksheet", its
    column names in ``language``: the language of the Moodle interface of whoever uploads it.

    ``modified`` is the time written as "Last modified (grade)" (default: now); Moodle keeps a grade that
    was changed in Moodle after it unless the upload ticks "Allow updating records that have been
    modified more recently in Moodle than in the spreadsheet".
    """
    headers = MOODLE_HEADERS[language]
    stamp = (modified or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")  # a form PHP's strtotime reads
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = ["identifier", "fullname", "email", "grade", "maxgrade", "modified", "comments"]
    writer.writerow([headers[key] for key in keys])
    for record in records:
        if not str(record.participant).isdigit():
            raise ValueError(f"{record.name}: a Moodle participant id is a number, not {record.participant!r}")
        writer.writerow([f"{headers['participant']}{record.participant}", record.name, record.email,
                         _number(record.score), _number(record.max_score), stamp,
                         moodle_comment_html(record.comment)])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# IN: Moodle's grading worksheet as a roster (downloaded beforehand: "Download grading worksheet")
#
# The same columns as above, read in either language: each participant's id, name and email and, for an
# assignment with group submissions, the group: the only place that says who is in a group and which
# folders of a download are groups (their names are the groups' names, see _moodle_entry).

class RosterError(ValueError):
    """A file that is not Moodle's grading worksheet; the message names the file and the row."""


@dataclass(frozen=True)
class Participant:
    """A row of the roster: one person, as Moodle knows them in this assignment."""

    participant: str
    name: str
    email: str = ""
    team: str | None = None  # the group's name (None: the assignment has no group submissions)


def read_roster(text, source="roster"):
    """The participants of Moodle's grading worksheet (CSV text, any of LMS_LANGUAGES)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = [column.strip() for column in rows[0]] if rows else []
    for headers in MOODLE_HEADERS.values():
        if headers["identifier"] in header:
            break
    else:
        raise RosterError(f"{source}: not Moodle's grading worksheet (no column "
                          f"{' or '.join(repr(h['identifier']) for h in MOODLE_HEADERS.values())} in its first row)")
    column = {key: header.index(headers[key]) for key in ("identifier", "fullname", "email", "team")
              if headers[key] in header}
    found = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {key: row[index].strip() if index < len(row) else "" for key, index in column.items()}
        participant = cells["identifier"].removeprefix(headers["participant"].strip()).strip()
        if not participant.isdigit():
            raise RosterError(f"{source}, row {number}: {cells['identifier']!r} is not "
                              f"'{headers['participant']}<number>'")
        found.append(Participant(participant, unicodedata.normalize("NFC", cells.get("fullname", "")),
                                 cells.get("email", ""), cells.get("team")))
    return found


def moodle_folder_name(name):
    """A person's or a group's name as a Moodle download spells it in a folder name."""
    return unicodedata.normalize("NFC", moodle_clean_filename(name.replace("_", " ")))


# ---------------------------------------------------------------------------------------------------
# OUT: Canvas's gradebook import
#
# instructure/canvas-lms app/models/gradebook_importer.rb:
#   header row: row[0] includes "Student", row[1] includes "ID", more than 3 columns, and the last student
#   column is "Section" (optionally "SIS User ID", "SIS Login ID" before it); every later column is an
#   assignment, "Title (id)" (Assignment.title_and_id: /\A(.*)\s\((\d+)\)\z/, app/models/assignment.rb),
#   a title without an id creates a new assignment; a row whose first cell includes "Points Possible"
#   gives the maximum; students are found by the "ID" column (Canvas user id), then SIS ids, then name;
#   the delimiter is "," or ";" (sniffed), decimal commas are read as points.
# The gradebook import has no comment column: feedback reaches Canvas students another way (SpeedGrader,
# or submission comments).

CANVAS_TITLE_AND_ID = re.compile(r"(.*)\s\((\d+)\)")  # app/models/assignment.rb Assignment.title_and_id


def canvas_gradebook(records, column, section=""):
    """The gradebook CSV (str) that Canvas's Grades > Import reads: one assignment column, named ``column``
    ("Title (id)" finds the assignment by its id; a bare title, by an exact match or as a new assignment)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
    maxima = {record.max_score for record in records}
    if len(maxima) == 1:
        writer.writerow(["    Points Possible", "", "", "", "", _number(maxima.pop())])
    for record in records:
        if not str(record.participant).isdigit():
            raise ValueError(f"{record.name}: Canvas finds students by user id, not {record.participant!r}")
        writer.writerow([record.name, record.participant, "", "", section, _number(record.score)])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# OUT: Moodle's "Upload multiple feedback files in a zip"
#
# moodle/moodle mod/assign/feedback/file/importziplib.php (is_valid_filename_for_import, import_zip_files):
#   a path part "fullname_participantid_assignfeedback_file[_rest]" names the student (by participant id)
#   and the plugin (get_plugin_by_type('assignfeedback', 'file')); what follows is the file's name in the
#   student's feedback area. Names must not contain "_" before the id (Moodle wrote spaces) nor the
#   characters clean_filename deletes; hidden files ("." or "~" first) are skipped.

def moodle_feedback_name(record, filename="feedback.html"):
    fullname = moodle_folder_name(record.name) or "Participant"
    return f"{fullname}_{record.participant}_assignfeedback_file/{filename}"


def moodle_feedback_zip(records, filename="feedback.html"):
    """The zip (bytes) of every record's feedback file, one folder per participant, sorted, fixed times."""
    return deterministic_zip({moodle_feedback_name(record, filename): Path(record.feedback).read_bytes()
                              for record in records if record.feedback})
