"""Moodle and Canvas, in and out: names written the way each LMS writes them, files read back the way each
LMS reads them. The writers and readers below are re-implemented from the LMS's own source (cited), not
from corso/lms.py, so the module is checked against them and not against itself."""

import csv
import io
import re
import zipfile
from datetime import datetime

import pytest

from corso import lms

# Realistic students: accents, apostrophes, two students with the same name, a name with an underscore.
STUDENTS = [  # (first name, last name, Moodle participant id, Canvas user id)
    ("Nicolò", "D'Amico", 418223, 1001),
    ("Nicolò", "D'Amico", 418224, 1002),   # the same name, another person
    ("Anna Maria", "Rossi", 418230, 1003),
    ("Zoë", "Ferri_Bianchi", 418231, 1004),  # Moodle turns "_" into " "; Canvas keeps word characters
    ("Jean-Luc", "L'Hôpital", 418240, 1005),
]


# ---------------------------------------------------------------------------------------------------
# How the LMSs write their downloads (re-implemented from their source)

def moodle_param_file(text):
    """lib/moodlelib.php clean_param(PARAM_FILE): control characters and & < > " ` | ' : \\ / deleted."""
    return re.sub(r"[\x00-\x1f\x7f&<>\"`|':\\/]", "", text)


def moodle_download_name(fullname, participant, filename, folders=True, old_folder=False):
    """mod/assign/classes/downloader.php get_student_prefix + load_submissionplugin_filelist (file plugin)."""
    prefix = moodle_param_file(fullname.replace("_", " ") + "_" + str(participant))
    if folders:
        folder = moodle_param_file(prefix + "_assignsubmission_file" + ("_" if old_folder else ""))
        return f"{folder}/{filename}"  # $file->get_filepath() is "/" for a file at the top of the area
    return moodle_param_file(f"{prefix}_assignsubmission_file_{filename}")


def canvas_download_name(first, last, user_id, attachment_id, display_name, late=False):
    """lib/content_zipper.rb get_user_name/sanitize_user_name, get_filename/sanitize_file_name,
    add_upload_submission/sanitize_attachment_filename."""
    users_name = re.sub(r"_(\d+)_", r"\1", f"{last}, {first}").lower()  # sortable_name, downcased
    filename = "_".join(part for part in (users_name, "LATE" if late else None, str(user_id)) if part)
    filename = re.sub(r"[^\w]", "", filename)  # Ruby's [[:word:]] is Unicode-aware, like Python's \w
    display_name = re.sub(r'[\x00/\\:*?"<>|]+', "_", display_name)
    return f"{filename}_{attachment_id}_{display_name}"


# ---------------------------------------------------------------------------------------------------
# IN

@pytest.mark.parametrize("old_folder", [False, True], ids=["moodle-4.1+", "moodle-3.1-4.0"])
def test_moodle_folders(old_folder):
    names = [moodle_download_name(f"{first} {last}", pid, "tensors.ipynb", old_folder=old_folder)
             for first, last, pid, _ in STUDENTS]
    names.append(moodle_download_name("Anna Maria Rossi", 418230, "extra/notes.txt", old_folder=old_folder))
    assert "Nicolò DAmico_418223_assignsubmission_file" in names[0]  # the apostrophe is gone, as in Moodle
    assert lms.detect(names) == lms.MOODLE_FOLDERS
    entries = lms.read_entries(names)
    assert [(e.participant, e.name, e.filename) for e in entries] == [
        ("418223", "Nicolò DAmico", "tensors.ipynb"),
        ("418224", "Nicolò DAmico", "tensors.ipynb"),
        ("418230", "Anna Maria Rossi", "tensors.ipynb"),
        ("418231", "Zoë Ferri Bianchi", "tensors.ipynb"),
        ("418240", "Jean-Luc LHôpital", "tensors.ipynb"),
        ("418230", "Anna Maria Rossi", "extra/notes.txt"),
    ]
    assert {e.plugin for e in entries} == {"file"}
    grouped = lms.by_participant(entries)
    assert len(grouped) == 5 and len(grouped["418230"]) == 2  # same name, two people: two participants


def test_moodle_flat():
    names = [moodle_download_name(f"{first} {last}", pid, "my_tensors v2.ipynb", folders=False)
             for first, last, pid, _ in STUDENTS]
    assert lms.detect(names) == lms.MOODLE_FLAT
    entries = lms.read_entries(names)
    assert [(e.participant, e.filename) for e in entries] == [(str(s[2]), "my_tensors v2.ipynb") for s in STUDENTS]
    assert entries[1].name == "Nicolò DAmico"


def test_moodle_anonymous_and_online_text():
    names = ["Participant_418223_assignsubmission_file/tensors.ipynb",
             "Participant_418224_assignsubmission_onlinetext/onlinetext.html"]
    entries = lms.read_entries(names)
    assert [(e.participant, e.name, e.plugin) for e in entries] == [
        ("418223", "Participant", "file"), ("418224", "Participant", "onlinetext")]


def test_canvas_with_late_resubmission_and_anonymous():
    names = [canvas_download_name(first, last, uid, 9000 + i, "tensors.ipynb")
             for i, (first, last, _, uid) in enumerate(STUDENTS)]
    # A late resubmission: Canvas renames the second upload of the same file in the student's folder.
    names[1] = canvas_download_name("Nicolò", "D'Amico", 1002, 9101, "tensors-1.ipynb", late=True)
    names.append("LATE_anon_x7Kq2_9200_tensors.ipynb")
    assert names[0] == "damiconicolò_1001_9000_tensors.ipynb"
    assert names[1] == "damiconicolò_LATE_1002_9101_tensors-1.ipynb"
    assert lms.detect(names) == lms.CANVAS
    entries = lms.read_entries(names)
    assert [(e.participant, e.name, e.late, e.attachment, e.filename) for e in entries] == [
        ("1001", "damiconicolò", False, "9000", "tensors.ipynb"),
        ("1002", "damiconicolò", True, "9101", "tensors-1.ipynb"),
        ("1003", "rossiannamaria", False, "9002", "tensors.ipynb"),
        ("1004", "ferri_bianchizoë", False, "9003", "tensors.ipynb"),
        ("1005", "lhôpitaljeanluc", False, "9004", "tensors.ipynb"),
        ("anon_x7Kq2", "", True, "9200", "tensors.ipynb"),
    ]
    # Canvas's own reading rule (app/models/assignment.rb infer_comment_context_from_filename): the first
    # two all-digit pieces of the name are the user id and the attachment id: the same ids as ours.
    for entry in entries[:-1]:
        assert [p for p in entry.path.split("_") if p.isdigit()][:2] == [entry.participant, entry.attachment]


def test_read_zip_ignores_what_unzip_tools_add(tmp_path):
    path = tmp_path / "PyTorch-01-tensors-12.zip"
    names = [moodle_download_name("Nicolò D'Amico", 418223, "tensors.ipynb"),
             "__MACOSX/._x", "Nicolò DAmico_418223_assignsubmission_file/.DS_Store"]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Nicolò DAmico_418223_assignsubmission_file/", "")
        for name in names:
            archive.writestr(name, "{}")
    [entry] = lms.read_zip(path)
    assert (entry.participant, entry.filename) == ("418223", "tensors.ipynb")


@pytest.mark.parametrize("names", [
    ["mario/tensors.ipynb", "luigi/tensors.ipynb"],        # the course's own folder layout
    ["mario.ipynb", "luigi.ipynb"],                         # the course's own flat layout
    ["rossi_2024_final.ipynb"],                             # one number is not Canvas's user + attachment
    ["Nicolò DAmico_418223_assignsubmission_file/tensors.ipynb", "mario.ipynb"],  # a mix
])
def test_other_layouts_are_not_taken_for_an_lms(names):
    assert lms.detect(names) is None
    with pytest.raises(lms.LmsFormatError):
        lms.read_entries(names)


# ---------------------------------------------------------------------------------------------------
# OUT: records as the grader would hand them over

def records(tmp_path=None):
    found = []
    for i, (first, last, pid, _) in enumerate(STUDENTS):
        feedback = None
        if tmp_path is not None:
            feedback = tmp_path / f"{pid}.html"
            feedback.write_text(f"<html><body>{first} {last}: {i}</body></html>", encoding="utf-8")
        found.append(lms.GradeRecord(str(pid), f"{first} {last}", score=[10, 7.5, 0, 9.25, 10][i], max_score=10,
                                     comment="" if i != 1 else "make_grid: atteso / expected 3x3\nsum_rows: errore <0",
                                     email=f"s{pid}@studenti.example.it", feedback=feedback))
    return found


# Moodle's strings in each language, as the language packs write them (lang/en/*.php of moodle/moodle 4.5.6;
# it/*.php of projectestac/moodle-langpacks upstream_45), kept here apart from corso/lms.py: a typo there fails.
# decsep and thousandssep come from langconfig.php.
MOODLE_STRINGS = {
    "en": {"recordid": "Identifier", "hiddenuser": "Participant ", "gradenoun": "Grade", "fullname": "Full name",
           "lastmodifiedgrade": "Last modified (grade)", "comments": "Feedback comments", "email": "Email address",
           "status": "Status", "submissionteam": "Group", "defaultteam": "Default group", "maxgrade": "Maximum grade",
           "decsep": ".", "thousandssep": ","},
    "it": {"recordid": "Identificativo", "hiddenuser": "Partecipante", "gradenoun": "Valutazione", "fullname": "Nome",
           "lastmodifiedgrade": "Ultima modifica (valutazione)", "comments": "Commenti", "email": "Indirizzo email",
           "status": "Stato", "submissionteam": "Gruppo", "defaultteam": "Gruppo di default",
           "maxgrade": "Valutazione massima", "decsep": ",", "thousandssep": "."},
}


def unformat_float(text, language):
    """lib/moodlelib.php unformat_float: spaces removed, the language's decimal separator read as "." (the
    thousands separator is left alone: "7.5" is 7.5 in Italian too)."""
    text = text.strip().replace(" ", "").replace(MOODLE_STRINGS[language]["decsep"], ".")
    return float(text) if text else None


# Moodle's worksheet reader, re-implemented:
#   lib/csvlib.php csv_import_reader::load_csv_content: BOM removed, \r\n? -> \n, content trimmed,
#   fgetcsv with "," and '"', header cells trimmed, duplicate or empty header names refused;
#   mod/assign/feedback/offline/importgradeslib.php init/next (headers compared with == to the strings of the
#   uploader's language; the id is what follows strlen(hiddenuser)); locallib.php process_import_grades skips.
def moodle_import(text, assignment_max, language="en", current=None, ignoremodified=False):
    """{participant id: (grade, feedback comments)} that Moodle would store; ``current``: {id: (grade, time)}."""
    strings, current = MOODLE_STRINGS[language], current or {}
    content = text.lstrip("\ufeff")
    content = re.sub(r"\r\n?", "\n", content).strip()
    rows = list(csv.reader(io.StringIO(content), delimiter=",", quotechar='"'))
    columns = [column.strip() for column in rows[0]]
    assert len(set(columns)) == len(columns) and all(columns), "csvlib refuses empty or duplicate columns"
    assert all(len(row) == len(columns) for row in rows[1:]), "csvlib: rows with another number of columns"
    index = {column: i for i, column in enumerate(columns)}
    for required in ("recordid", "gradenoun", "lastmodifiedgrade"):
        assert strings[required] in index, f"invalidgradeimport: no {strings[required]!r} column"
    comments = index.get(strings["comments"])
    stored = {}
    for row in rows[1:]:
        participant = row[index[strings["recordid"]]][len(strings["hiddenuser"]):]
        if not participant.isdigit():
            continue  # get_user_id_for_uniqueid finds nobody
        grade = unformat_float(row[index[strings["gradenoun"]]], language)
        modified = datetime.strptime(row[index[strings["lastmodifiedgrade"]]], "%Y-%m-%d %H:%M:%S").timestamp()
        old_grade, old_time = current.get(participant, (None, None))
        stale = old_time is not None and old_time > modified + 60
        skip = (old_grade is not None and old_grade == grade) or grade is None or grade < 0 \
            or (not ignoremodified and stale) or grade > assignment_max
        entry = stored.setdefault(participant, [old_grade, ""])
        if not skip:
            entry[0] = grade
        if (ignoremodified or not stale) and comments:  # !empty($details['index']): index 0 is ignored
            entry[1] = row[comments]
    return {participant: tuple(value) for participant, value in stored.items()}


@pytest.mark.parametrize("language", ["it", "en"])
def test_moodle_worksheet_imports(language):
    when = datetime(2026, 11, 27, 10, 15)
    text = lms.moodle_worksheet(records(), modified=when, language=language)
    stored = moodle_import(text, assignment_max=10, language=language)
    assert stored == {
        "418223": (10.0, ""),
        "418224": (7.5, "make_grid: atteso / expected 3x3<br>sum_rows: errore &lt;0"),
        "418230": (0.0, ""),
        "418231": (9.25, ""),
        "418240": (10.0, ""),
    }
    # The names, with their accents and apostrophes, survive the CSV quoting.
    assert "Nicolò D'Amico" in text and "Jean-Luc L'Hôpital" in text
    # A grade changed in Moodle after the worksheet was written is kept unless "ignore modified" is ticked.
    later = datetime(2026, 11, 28).timestamp()
    assert moodle_import(text, 10, language, current={"418224": (5.0, later)})["418224"] == (5.0, "")
    assert moodle_import(text, 10, language, current={"418224": (5.0, later)}, ignoremodified=True)["418224"][0] == 7.5


def test_a_worksheet_in_the_other_language_is_refused_by_moodle():
    """Why --lms-language exists: Moodle matches the column names in the uploader's language."""
    with pytest.raises(AssertionError, match="invalidgradeimport: no 'Identificativo'"):
        moodle_import(lms.moodle_worksheet(records(), language="en"), 10, language="it")
    with pytest.raises(AssertionError, match="invalidgradeimport: no 'Identifier'"):
        moodle_import(lms.moodle_worksheet(records(), language="it"), 10, language="en")


@pytest.mark.parametrize(("points", "maximum", "scale", "grade"), [
    (13, 13, 30, "30"), (0, 13, 30, "0"), (10.5, 13, 30, "24.23"), (6.5, 13, 100, "50"), (1, 3, 30, "10"),
    (2, 3, 30, "20"), (0.125, 1, 1, "0.13"),  # half up, not to even
])
def test_grades_on_the_lms_scale(points, maximum, scale, grade):
    on_scale = lms.on_scale(points, maximum, scale)
    assert lms._number(on_scale) == grade
    assert on_scale <= scale
    record = lms.GradeRecord("418223", "Anna", on_scale, scale)
    stored = moodle_import(lms.moodle_worksheet([record], language="it"), assignment_max=scale, language="it")
    assert stored["418223"][0] == float(grade)  # Moodle takes it: never above the assignment's maximum


def test_moodle_worksheet_refuses_an_id_moodle_would_not_find():
    bad = [lms.GradeRecord("mario", "Mario", 1, 10)]
    with pytest.raises(ValueError, match="participant id"):
        lms.moodle_worksheet(bad)


# Canvas's gradebook reader, re-implemented from app/models/gradebook_importer.rb (header?, update_column_count,
# check_for_non_student_row, process_pp, process_student by the ID column, Assignment.title_and_id).
def canvas_import(text):
    first = text.splitlines()[0]
    delimiter = ";" if len(next(csv.reader([first], delimiter=";"))) > len(next(csv.reader([first]))) else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)
            if not re.fullmatch(r"[;, ]*", ",".join(row))]
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Invalid header row"
    student_columns = 3
    if re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        student_columns += 2
    assert "Section" in header[student_columns - 1], "Invalid header row"
    assignments = []
    for column in header[student_columns:]:
        match = re.fullmatch(r"(.*)\s\((\d+)\)", column)
        assignments.append((match.group(1), match.group(2)) if match else (column, None))
    points, grades = {}, {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {a: row[student_columns + i] for i, a in enumerate(assignments)}
            continue
        grades[row[1]] = {a: row[student_columns + i].strip() for i, a in enumerate(assignments)}
    return assignments, points, grades


def test_canvas_gradebook_imports():
    canvas_records = [lms.GradeRecord(str(uid), f"{last}, {first}", r.score, r.max_score)
                      for (first, last, _, uid), r in zip(STUDENTS, records(), strict=True)]
    text = lms.canvas_gradebook(canvas_records, "01 Tensori (4521)")
    assignments, points, grades = canvas_import(text)
    assert assignments == [("01 Tensori", "4521")]
    assert points == {("01 Tensori", "4521"): "10"}
    assert grades == {"1001": {("01 Tensori", "4521"): "10"}, "1002": {("01 Tensori", "4521"): "7.5"},
                      "1003": {("01 Tensori", "4521"): "0"}, "1004": {("01 Tensori", "4521"): "9.25"},
                      "1005": {("01 Tensori", "4521"): "10"}}
    assert "D'Amico, Nicolò" in text


# Moodle's feedback-zip reader, re-implemented from mod/assign/feedback/file/importziplib.php
# (is_valid_filename_for_import, import_zip_files).
def moodle_feedback_import(data, participants):
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or info.filename.rsplit("/", 1)[-1].startswith((".", "~")):
                continue
            parts = info.filename.split("/")
            while parts:
                part = parts.pop(0)
                pieces = part.split("_", 4)
                if len(pieces) < 4 or not pieces[1].isdigit() or int(pieces[1]) not in participants:
                    continue
                assert (pieces[2], pieces[3]) == ("assignfeedback", "file"), f"no plugin {pieces[2:4]}"
                filename = "/".join([pieces[4] if len(pieces) == 5 else "", *parts]).lstrip("/")
                found[int(pieces[1])] = (filename, archive.read(info).decode())
                break
    return found


def test_moodle_feedback_zip_imports_and_is_reproducible(tmp_path):
    data = lms.moodle_feedback_zip(records(tmp_path))
    found = moodle_feedback_import(data, participants={s[2] for s in STUDENTS})
    assert sorted(found) == sorted(s[2] for s in STUDENTS)
    assert found[418224] == ("feedback.html", "<html><body>Nicolò D'Amico: 1</body></html>")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "Nicolò DAmico_418224_assignfeedback_file/feedback.html" in archive.namelist()
        assert "Zoë Ferri Bianchi_418231_assignfeedback_file/feedback.html" in archive.namelist()
    assert lms.moodle_feedback_zip(records(tmp_path)) == data  # same records, same bytes


# ---------------------------------------------------------------------------------------------------
# IN: Moodle's grading worksheet as a roster; groups; Canvas's pages and Unicode forms

def moodle_grading_worksheet(people, language, groups=True):
    """The worksheet Moodle downloads (mod/assign/gradingtable.php in download mode): recordid, fullname,
    email, status, submissionteam (group submissions: the group's name, or defaultteam), gradenoun, maxgrade,
    gradecanbechanged, lastmodifiedsubmission, lastmodifiedgrade, the comments; ``people``: (id, name, group)."""
    strings = MOODLE_STRINGS[language]
    out = io.StringIO()
    writer = csv.writer(out)
    team = [strings["submissionteam"]] if groups else []
    writer.writerow([strings["recordid"], strings["fullname"], strings["email"], strings["status"], *team,
                     strings["gradenoun"], strings["maxgrade"], "x-gradecanbechanged", "x-lastmodifiedsubmission",
                     strings["lastmodifiedgrade"], strings["comments"]])
    for participant, name, group in people:
        writer.writerow([f"{strings['hiddenuser']}{participant}", name, f"{participant}@studenti.example.it", "-",
                         *([group or strings["defaultteam"]] if groups else []), "", "30", "Sì", "-", "-", ""])
    return "\ufeff" + out.getvalue()


GROUPED = [(418223, "Nicolò D'Amico", "Gruppo A_1"), (418224, "Anna Maria Rossi", "Gruppo A_1"),
           (418230, "Zoë Ferri", None), (418231, "Jean-Luc L'Hôpital", None), (418240, "Ada Neri", "Gruppo B")]


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_roster_is_read_in_either_language(language):
    roster = lms.read_roster(moodle_grading_worksheet(GROUPED, language), "worksheet.csv")
    default = MOODLE_STRINGS[language]["defaultteam"]
    assert [(p.participant, p.name, p.email, p.team) for p in roster][:3] == [
        ("418223", "Nicolò D'Amico", "418223@studenti.example.it", "Gruppo A_1"),
        ("418224", "Anna Maria Rossi", "418224@studenti.example.it", "Gruppo A_1"),
        ("418230", "Zoë Ferri", "418230@studenti.example.it", default)]
    solo = lms.read_roster(moodle_grading_worksheet(GROUPED, language, groups=False), "worksheet.csv")
    assert {p.team for p in solo} == {None}


def test_a_file_that_is_not_a_worksheet_is_refused_naming_the_file_and_row():
    with pytest.raises(lms.RosterError, match=r"^grades\.csv: not Moodle's grading worksheet"):
        lms.read_roster("Student,ID,Section\nRossi,12,A\n", "grades.csv")
    with pytest.raises(lms.RosterError, match=r"^w\.csv, row 3: 'Ospite' is not 'Partecipante<number>'"):
        lms.read_roster(moodle_grading_worksheet(GROUPED[:1], "it") + "Ospite,Mario\n", "w.csv")


@pytest.mark.parametrize("language", ["it", "en"])
def test_moodle_group_folders_are_read_with_or_without_an_id(language):
    default = MOODLE_STRINGS[language]["defaultteam"]
    names = [moodle_download_name("Gruppo A_1", 77, "tensors.ipynb"),  # the group's name and id
             moodle_download_name("Gruppo B", 78, "tensors.ipynb", folders=False),
             moodle_param_file(f"{default}_assignsubmission_file") + "/tensors.ipynb"]  # no group: no id
    entries = lms.read_entries(names)
    assert [(e.layout, e.participant, e.name, e.filename) for e in entries] == [
        (lms.MOODLE_FOLDERS, "77", "Gruppo A 1", "tensors.ipynb"), (lms.MOODLE_FLAT, "78", "Gruppo B", "tensors.ipynb"),
        (lms.MOODLE_FOLDERS, "", default, "tensors.ipynb")]
    assert lms.moodle_folder_name("Gruppo A_1") == "Gruppo A 1"


def test_canvas_text_and_url_entries_are_read_as_pages_not_a_change_of_layout():
    names = [canvas_download_name("Nicolò", "D'Amico", 1001, 9000, "tensors.ipynb"),
             re.sub(r"[^\w]", "", "rossi, anna_1003") + "_text.html",
             re.sub(r"[^\w]", "", "ferri, zoë_LATE_1004") + "_link.html",
             "anon_x7Kq2_text.html"]
    assert lms.detect(names) == lms.CANVAS
    assert [(e.participant, e.kind, e.late) for e in lms.read_entries(names)] == [
        ("1001", "file", False), ("1003", "text", False), ("1004", "url", True), ("anon_x7Kq2", "text", False)]


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_names_with_accents_are_read_in_either_unicode_form(form):
    import unicodedata
    canvas = unicodedata.normalize(form, canvas_download_name("Nicolò", "D'Amico", 1001, 9000, "tensors.ipynb"))
    moodle = unicodedata.normalize(form, moodle_download_name("Nicolò D'Amico", 418223, "tensors.ipynb"))
    [canvas_entry], [moodle_entry] = lms.read_entries([canvas]), lms.read_entries([moodle])
    assert (canvas_entry.participant, canvas_entry.name) == ("1001", "damiconicolò")
    assert (moodle_entry.participant, moodle_entry.name) == ("418223", "Nicolò DAmico")
    assert canvas_entry.path == canvas and moodle_entry.path == moodle  # the zip's own names, to open the files
