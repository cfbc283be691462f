"""Make demo/01-tensors-moodle.zip: Moodle's "Download all submissions" zip of lesson 01 (tensors) for a demo
class of 24 students, which a new instructor grades in one command, ``make demo`` (the deadline
2026-10-15 23:59, grades out of 30). Made once and committed; ``.venv/bin/python tools/make_demo_class.py``
makes it again (after the release notebooks of lesson 01 change: tests/test_demo.py says when).

Moodle's folder layout (moodle/moodle mod/assign/classes/downloader.php): one folder per participant,
``<Full Name>_<participant id>_assignsubmission_file/<file>``, the name with "_" turned into spaces and
& < > " ` | ' : \\ / deleted (``corso.lms.moodle_clean_filename``: "Nicolò D'Amico" -> "Nicolò DAmico").
Each notebook is the release notebook of the student's edition with the answer cells filled in as written
below (the reference solutions of the source, the wrong answers of tests/wrong_answers/01-tensors.py, or the
student's own); no outputs. Every zip entry's time is the student's upload time (local time), all between
2026-10-10 and 2026-10-14 except the late one. Making it again gives the same bytes.

Points: 11 auto-graded (make_grid 1, to_float64_copy 2, pairwise_differences 2, row_proportions 2,
standardize_columns 2, flatten_images 2) and 2 for the written answer view_strides, graded by hand (13 in all).
A wrong exercise loses its 2 points (make_grid: 1). The grade column below is the auto-graded score out of 11;
the written answer is left to the instructor in every notebook ("written: stub": left as handed out).

id       name (Moodle's)     ed  grade      what is in it
1284301  Giulia Bianchi      it  11/11      all right: the reference answers; written: stub
1284302  Wei Chen            en  11/11      all right, make_grid with reshape; written: one short line
1284303  Nicolò DAmico       it  11/11      all right, pairwise_differences with unsqueeze and his own comment;
                                            written: short and wrong ("view only on contiguous tensors")
1284304  Aisha Okafor        en  11/11      all right, flatten_images with flatten(start_dim=1)
1284305  Lorenzo Romano      it  11/11      all right, to_float64_copy with astype; written: "non ho capito bene"
1284306  Siobhán OBrien      en  11/11      all right, standardize_columns with keepdim and a comment;
                                            written: the four outcomes, without strides
1284307  Chiara Ferrari      it  11/11      all right, a comment of her own in make_grid
1284308  Jonas Müller        en  11/11      all right, row_proportions with sum(1).unsqueeze(1)
1284309  Marco Rossi         it  11/11      all right; written: one short line (not the other Marco Rossi)
1284310  Marco Rossi         en  10/11      make_grid wrong: arange without a dtype (int64)
1284311  Sofia Colombo       it   9/11      to_float64_copy wrong: from_numpy(...).double() shares memory
1284312  Lucía Fernández     en   7/11      pairwise_differences wrong (a - b, no new dimensions);
                                            row_proportions wrong (no keepdim)
1284313  Matteo Ricci        it   9/11      row_proportions wrong: integer division //
1284314  Olena Kovalenko     en   9/11      standardize_columns wrong: NumPy's std (correction=0)
1284315  Martina DellAcqua   it   7/11      standardize_columns wrong (in place); flatten_images wrong (clone())
1284316  Arjun Mehta         en   7/11      to_float64_copy wrong (as_tensor shares memory);
                                            row_proportions wrong (dim=0: proportions per column)
1284317  Federico Conti      it   8/11      make_grid wrong (counts from 1); flatten_images wrong (view(-1))
1284318  Zoé Lefèvre         en   7/11      pairwise_differences wrong (sign flipped);
                                            standardize_columns wrong (float() turns float64 into float32)
1284319  Emre Yılmaz         en   0/11      the release notebook untouched: nothing answered
1284320  Beatrice Fontana    it   3/11      make_grid and to_float64_copy answered (right), the rest left as the stub
1284321  Gabriele De Luca    it   5/11      row_proportions calls os._exit(1): the kernel dies in its test and the
                                            two exercises after it are lost (they were right); the death reported
1284322  Karim Haddad        en  11/11 late all right, with a comment of his own, but uploaded 2026-10-17 09:12:00,
                                            after the deadline: marked late, points as the course's late rule says
1284323  Mateus Oliveira     en  11/11      three files: "tensors (1).ipynb" (2026-10-11, a draft: the first three
                                            answered, pairwise_differences wrong), appunti.txt (his notes) and
                                            "tensors.ipynb" (2026-10-13, all right, make_grid with .float());
                                            tensors.ipynb is graded (the later one, and named like the lesson),
                                            the other two are listed as ignored
1284324  Anna Maria Sartori  it  11/11      all right; written: a real answer in Italian (the strides of x, y and
                                            z, the four outcomes, the rule): worth the full 2 points
"""

import io
import runpy
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from submissions import answers, exercises  # noqa: E402

from corso.course import find_lesson  # noqa: E402
from corso.files import write_atomic  # noqa: E402
from corso.lessons import nbgrader_meta  # noqa: E402
from corso.lms import moodle_clean_filename  # noqa: E402

LESSON = find_lesson(ROOT, "01-tensors")
OUTPUT = ROOT / "demo" / "01-tensors-moodle.zip"
NOTEBOOK = "tensors.ipynb"
STUB_MARKER = "# YOUR CODE HERE"

REFERENCE = answers(LESSON)
CODE_EXERCISES = tuple(exercises(LESSON))
WRONG_ANSWERS = runpy.run_path(str(ROOT / "tests" / "wrong_answers" / "01-tensors.py"))["WRONG_ANSWERS"]


# ---------------------------------------------------------------------------------------------------
# Answers: {grade id: the answer cell's source}; a grade id left out keeps the release's stub.

def release(language):
    return nbformat.read(LESSON.release(language), as_version=4)


def heading(grade_id):
    """The stub's lines above its "YOUR CODE HERE" line: the signature and the docstring, as handed out."""
    cell = next(cell for cell in release("en").cells if nbgrader_meta(cell).get("grade_id") == grade_id)
    lines = cell.source.split("\n")
    return "\n".join(lines[:next(i for i, line in enumerate(lines) if line.strip().startswith(STUB_MARKER))])


def own(grade_id, body):
    """A student's own answer: the stub's signature and docstring, then ``body`` (indented here)."""
    return heading(grade_id) + "\n" + "\n".join("    " + line if line else "" for line in body.split("\n"))


def wrong(grade_id, index):
    """One of the plausible wrong answers of tests/wrong_answers/01-tensors.py."""
    return {grade_id: WRONG_ANSWERS[grade_id][index][1]}


def right(*only, **changed):
    """The reference answer of every code exercise (of ``only``, when given), with ``changed`` ones replaced."""
    return {grade_id: REFERENCE[grade_id] for grade_id in only or CODE_EXERCISES} | changed


# ---------------------------------------------------------------------------------------------------
# The class

@dataclass(frozen=True)
class Upload:
    """One file a student handed in: a notebook (``answers``) or a plain text file (``text``)."""

    filename: str
    time: str  # local time, "YYYY-MM-DD HH:MM:SS", even seconds (a zip entry's time has a 2 s resolution)
    answers: dict | None = None
    text: str = ""


@dataclass(frozen=True)
class Student:
    participant: int
    name: str
    language: str
    uploads: tuple


def notebook(name, time, answers):
    return Upload(name, time, answers=answers)


ANNA_MARIA_WRITTEN = """\
Stride: `x` ha `(12, 4, 1)`. `permute` riordina anche gli stride, quindi `y` ha `(1, 12, 4)`. `z` ha gli
stessi stride di `x`, `(12, 4, 1)`, ma comincia dall'elemento 4 e in ogni blocco salta la prima riga.

- `y.view(4, 6)` funziona: le dimensioni lunghe 2 e 3 hanno stride 12 e 4, e 12 = 4 · 3.
- `y.view(24)` dà errore: la prima dimensione ha stride 1, ma per fonderla con la seconda servirebbe 12 · 2 = 24.
- `z.view(2, 8)` funziona: stride 4 e 1, lunghezza 4, e 4 = 1 · 4.
- `z.view(16)` dà errore: lo stride 12 non è 4 · 2 = 8, tra un blocco e l'altro c'è la riga saltata.

Regola: due dimensioni vicine $i$ e $i+1$ si possono unire se stride$_i$ = stride$_{i+1}$ · size$_{i+1}$.
Essere contigui è sufficiente ma non necessario: conta solo questa condizione sulle dimensioni da unire.
L'ho verificato in una cella: gli errori sono proprio quelli previsti, `reshape` invece fa una copia."""

MATEUS_NOTES = """\
view vs reshape: view = stessa memoria (errore se non si puo), reshape = copia se serve
broadcasting: a[:, None] - b[None, :]  -> (len(a), len(b))
sum(dim=1, keepdim=True) per dividere riga per riga
std: torch usa N-1, numpy N !!
chiedere al prof: stride di z = x[:, 1:, :]?
"""

CLASS = (
    Student(1284301, "Giulia Bianchi", "it", (notebook(NOTEBOOK, "2026-10-12 21:47:12", right()),)),
    Student(1284302, "Wei Chen", "en", (notebook(NOTEBOOK, "2026-10-11 10:02:40", right(
        make_grid=own("make_grid", "return torch.arange(rows * cols, dtype=torch.float32).reshape(rows, cols)"),
        view_strides="`view` only works when the strides allow it: `y.view(24)` and `z.view(16)` fail, "
                     "the other two work.")),)),
    Student(1284303, "Nicolò D'Amico", "it", (notebook(NOTEBOOK, "2026-10-13 23:58:04", right(
        pairwise_differences=own("pairwise_differences",
                                 "# colonna (len(a), 1) meno riga (1, len(b)): il broadcasting fa il resto\n"
                                 "return a.unsqueeze(1) - b.unsqueeze(0)"),
        view_strides="Credo che `view` funzioni solo su tensori contigui, quindi con `y` e `z` dà sempre errore.")),)),
    Student(1284304, "Aisha Okafor", "en", (notebook(NOTEBOOK, "2026-10-10 17:20:56", right(
        flatten_images=own("flatten_images", "return batch.flatten(start_dim=1)"))),)),
    Student(1284305, "Lorenzo Romano", "it", (notebook(NOTEBOOK, "2026-10-14 08:15:30", right(
        to_float64_copy=own("to_float64_copy", "return torch.from_numpy(array.astype(np.float64))  # astype copia"),
        view_strides="Non ho capito bene gli stride, ci riprovo a lezione.")),)),
    Student(1284306, "Siobhán O'Brien", "en", (notebook(NOTEBOOK, "2026-10-12 14:33:08", right(
        standardize_columns=own("standardize_columns",
                                "# keepdim=True is not needed (the means broadcast along dim 0), but it reads clearer\n"
                                "mean = x.mean(dim=0, keepdim=True)\n"
                                "std = x.std(dim=0, keepdim=True)\n"
                                "return (x - mean) / std"),
        view_strides="y.view(4, 6) works, y.view(24) fails, z.view(2, 8) works, z.view(16) fails. "
                     "When view cannot, reshape makes a copy.")),)),
    Student(1284307, "Chiara Ferrari", "it", (notebook(NOTEBOOK, "2026-10-11 19:51:22", right(
        make_grid=own("make_grid", "# arange conta 0, 1, ..., rows*cols - 1; view li dispone riga per riga\n"
                                   "return torch.arange(rows * cols, dtype=torch.float32).view(rows, cols)"))),)),
    Student(1284308, "Jonas Müller", "en", (notebook(NOTEBOOK, "2026-10-13 11:04:48", right(
        row_proportions=own("row_proportions", "return counts / counts.sum(1).unsqueeze(1)"))),)),
    Student(1284309, "Marco Rossi", "it", (notebook(NOTEBOOK, "2026-10-10 22:38:16", right(
        view_strides="`y.view(4, 6)` e `z.view(2, 8)` funzionano, `y.view(24)` e `z.view(16)` no: "
                     "gli stride non lo permettono.")),)),
    Student(1284310, "Marco Rossi", "en", (notebook(NOTEBOOK, "2026-10-14 16:47:02",
                                                    right() | wrong("make_grid", 0)),)),
    Student(1284311, "Sofia Colombo", "it", (notebook(NOTEBOOK, "2026-10-12 09:12:44",
                                                      right() | wrong("to_float64_copy", 0)),)),
    Student(1284312, "Lucía Fernández", "en", (notebook(NOTEBOOK, "2026-10-13 20:26:34",
                                                        right() | wrong("pairwise_differences", 0)
                                                        | wrong("row_proportions", 0)),)),
    Student(1284313, "Matteo Ricci", "it", (notebook(NOTEBOOK, "2026-10-11 15:09:58",
                                                     right() | wrong("row_proportions", 1)),)),
    Student(1284314, "Olena Kovalenko", "en", (notebook(NOTEBOOK, "2026-10-14 12:30:18",
                                                        right() | wrong("standardize_columns", 0)),)),
    Student(1284315, "Martina Dell'Acqua", "it", (notebook(NOTEBOOK, "2026-10-13 18:55:40",
                                                           right() | wrong("standardize_columns", 1)
                                                           | wrong("flatten_images", 1)),)),
    Student(1284316, "Arjun Mehta", "en", (notebook(NOTEBOOK, "2026-10-10 13:44:26",
                                                    right() | wrong("to_float64_copy", 1)
                                                    | wrong("row_proportions", 3)),)),
    Student(1284317, "Federico Conti", "it", (notebook(NOTEBOOK, "2026-10-14 22:03:50",
                                                       right() | wrong("make_grid", 2) | wrong("flatten_images", 2)),)),
    Student(1284318, "Zoé Lefèvre", "en", (notebook(NOTEBOOK, "2026-10-12 23:17:36",
                                                    right() | wrong("pairwise_differences", 1)
                                                    | wrong("standardize_columns", 2)),)),
    Student(1284319, "Emre Yılmaz", "en", (notebook(NOTEBOOK, "2026-10-14 23:41:12", {}),)),
    Student(1284320, "Beatrice Fontana", "it", (notebook(NOTEBOOK, "2026-10-13 09:27:02",
                                                         right("make_grid", "to_float64_copy")),)),
    Student(1284321, "Gabriele De Luca", "it", (notebook(NOTEBOOK, "2026-10-14 19:36:24", right(
        row_proportions=own("row_proportions",
                            "print(counts.sum(dim=1, keepdim=True))\n"
                            "import os\n"
                            "os._exit(1)  # mi fermo qui per controllare le somme\n"
                            "return counts / counts.sum(dim=1, keepdim=True)"))),)),
    Student(1284322, "Karim Haddad", "en", (notebook(NOTEBOOK, "2026-10-17 09:12:00", right(
        flatten_images=own("flatten_images", "# view, not reshape: it must share memory (and fail loudly if it can't)\n"
                                             "return batch.view(batch.shape[0], -1)"))),)),
    Student(1284323, "Mateus Oliveira", "en", (
        notebook("tensors (1).ipynb", "2026-10-11 16:05:36",
                 right("make_grid", "to_float64_copy") | wrong("pairwise_differences", 3)),
        Upload("appunti.txt", "2026-10-11 16:07:02", text=MATEUS_NOTES),
        notebook(NOTEBOOK, "2026-10-13 23:31:48", right(
            make_grid=own("make_grid", "return torch.arange(rows * cols).float().view(rows, cols)"))),
    )),
    Student(1284324, "Anna Maria Sartori", "it", (notebook(NOTEBOOK, "2026-10-12 18:09:14",
                                                           right(view_strides=ANNA_MARIA_WRITTEN)),)),
)


# ---------------------------------------------------------------------------------------------------
# The zip

def notebook_bytes(language, answered):
    """The release notebook of ``language`` with the ``answered`` cells' sources replaced, as nbformat writes it."""
    nb = release(language)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in answered:
            cell.source = answered[grade_id]
    nbformat.validate(nb)
    return (nbformat.writes(nb) + "\n").encode()


def entry_name(student, filename):
    """Moodle's name for a file of a student (mod/assign/classes/downloader.php, folders per participant)."""
    prefix = moodle_clean_filename(f"{student.name.replace('_', ' ')}_{student.participant}")
    return f"{moodle_clean_filename(f'{prefix}_assignsubmission_file')}/{filename}"


def entries():
    """[(entry name, time tuple, bytes)] of the whole class, sorted by name."""
    found = []
    for student in CLASS:
        for upload in student.uploads:
            content = (upload.text.encode() if upload.answers is None
                       else notebook_bytes(student.language, upload.answers))
            stamp = datetime.strptime(upload.time, "%Y-%m-%d %H:%M:%S").timetuple()[:6]
            found.append((entry_name(student, upload.filename), stamp, content))
    return sorted(found)


def zip_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, stamp, content in entries():
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, wherever it is made
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return out.getvalue()


def main():
    write_atomic(OUTPUT, zip_bytes())
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(CLASS)} students")


if __name__ == "__main__":
    main()
