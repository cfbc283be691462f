"""Similarity: which students' answers are alike, for the instructor to look at (never a verdict).

For each exercise (auto-graded and written), the text of each student's answer cell is compared across the
whole class, both languages together. What the release hands out in that cell (signature, docstring, the
stub, in Italian and in English) is distribution code: its fingerprints are removed. Test cells, outputs and
the lesson's own cells are never read.

The building blocks are copydetect's (PyPI ``copydetect``, MIT; Winnowing, Schleimer, Wilkerson and Aiken,
SIGMOD 2003, as MOSS): ``filter_code`` tokenises code with Pygments and keeps its shape only (every name
becomes V, F or O, every string S; comments and spacing go: renamed variables and comments translated from
Italian to English change nothing), ``winnow`` keeps a robust sample of the hashes of its K-grams, and
``get_copied_slices``/``highlight_overlap`` mark the matching regions. Two things are ours:

- the hash of a K-gram is CRC-32, not Python's ``hash`` (salted per process): the same class gives the same
  page every time;
- pairs are found through an index of fingerprints (for each fingerprint, the students who have it) instead
  of copydetect's comparison of every pair (80 000 pairs and 7 exercises each for 400 students), and a
  fingerprint that more than COMMON of the class share is not evidence (what most students write is the
  obvious way, as MOSS's ``-m``).

A pair's score on an exercise is containment: the share of the smaller answer's fingerprints that the other
has (code added to a copy, dead or not, does not lower it), counted only with at least MIN_SHARED fingerprints
in common (below that, two short answers say nothing: honest one-liners are often the same line). Its overall
score is the mean of those over the lesson's exercises (one not answered by both counts 0): how much of the
lesson looks alike. A pair is listed overall from THRESHOLD, and on an exercise from EXERCISE_THRESHOLD (the
first EXERCISE_ROWS of them). The constants are calibrated in tests/test_similarity.py (see README).
"""

import html
import itertools
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import nbformat
import numpy as np
from copydetect.utils import filter_code, get_copied_slices, highlight_overlap, winnow

from corso.files import write_atomic

K = 10  # characters of filtered code (or of text, for written answers) a fingerprint covers
WINDOW = 4  # winnowing window: any match of K + WINDOW - 1 characters is found
COMMON = 0.5  # a fingerprint more than this share of the class has is not evidence
MIN_SHARED = 6  # fingerprints in common on an exercise below which its score is 0 (too short to say)
THRESHOLD = 0.6  # the overall score from which a pair is listed
EXERCISE_THRESHOLD = 0.8  # the score on one exercise from which a pair is listed there
EXERCISE_ROWS = 15  # the pairs listed on one exercise, at most
MAX_ANSWER = 20_000  # characters of an answer compared and shown (a real one is under 2 000; a hostile one is cut)


@dataclass
class Fingerprint:
    """One answer: its text, its filtered form, {hash: positions in the filtered form}, and the map back."""

    text: str
    kind: str  # "code" or "markdown"
    offsets: np.ndarray  # code: copydetect's offsets; prose: the text's position of each filtered character
    hashes: dict


@dataclass
class Pair:
    """Two students' answers alike: the score and shared fingerprints, overall and per exercise."""

    students: tuple
    score: float
    shared: int
    by_exercise: dict = field(default_factory=dict)  # exercise -> (score, shared)


@dataclass
class Comparison:
    """What the class's answers share: the listed pairs, best first, overall and per exercise."""

    exercises: dict  # exercise -> "code" or "markdown", in the lesson's order
    answers: dict  # exercise -> {student: Fingerprint}
    common: dict  # exercise -> the fingerprints too common to count
    ranked: list  # every pair with a fingerprint in common, best first overall
    pairs: list  # those listed overall (from THRESHOLD)
    by_exercise: dict  # exercise -> [Pair] listed on that exercise, best first there


def answer_cells(nb):
    """{grade id: (cell type, source)} of the notebook's answer cells (nbgrader ``solution`` cells)."""
    return {cell.metadata["nbgrader"]["grade_id"]: (cell.cell_type, cell.source) for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.metadata["nbgrader"].get("grade_id")}


def kgram_hashes(text):
    """A stable hash (CRC-32) of every K-gram of ``text``."""
    data = text.encode("utf-32-le")  # four bytes a character: the k-gram at i is data[4i:4(i+K)]
    return np.array([zlib.crc32(data[4 * i:4 * (i + K)]) for i in range(len(text) - K + 1)], dtype=np.int64)


def fingerprint(text, kind, distribution=frozenset()):
    """The winnowed fingerprints of one answer, those of the ``distribution`` code left out."""
    filtered, offsets = filter_code(text, "answer.py", "python") if kind == "code" else _prose(text)
    found = defaultdict(list)
    if len(filtered) >= K:
        hashes, positions = winnow(kgram_hashes(filtered), WINDOW, remove_duplicates=False)
        for value, position in zip(hashes.tolist(), positions.tolist(), strict=True):
            if value not in distribution:
                found[value].append(position)
    return Fingerprint(text, kind, offsets, dict(found))


def _prose(text):
    """A written answer's words in lower case, one space apart (reflowed lines change nothing), and the
    position in ``text`` of each character kept."""
    words = list(re.finditer(r"\S+", text))
    filtered = " ".join(word.group().lower() for word in words)
    positions = [i for word in words for i in [*range(word.start(), word.end()), word.end()]]
    return filtered, np.array(positions[:len(filtered)], dtype=int)


def distribution_hashes(starters, kind):
    """Every fingerprint of what the release hands out in an answer cell (each language's version)."""
    return frozenset(hash_ for text in starters for hash_ in fingerprint(text, kind).hashes)


def compare(class_answers, starters, exercises):
    """The Comparison of ``class_answers`` ({student: {exercise: text}}); ``starters``: {exercise: [the
    release's texts of that cell]}; ``exercises``: {exercise: "code" or "markdown"}, in order."""
    answers, common, shared = {}, {}, {}
    for exercise, kind in exercises.items():
        distribution = distribution_hashes(starters.get(exercise, []), kind)
        answers[exercise] = {student: fingerprint(texts[exercise][:MAX_ANSWER], kind, distribution)
                             for student, texts in sorted(class_answers.items()) if exercise in texts}
        answers[exercise] = {student: found for student, found in answers[exercise].items() if found.hashes}
        holders = defaultdict(list)
        for student, found in answers[exercise].items():
            for hash_ in found.hashes:
                holders[hash_].append(student)
        limit = max(2, COMMON * len(class_answers))
        common[exercise] = {hash_ for hash_, students in holders.items() if len(students) > limit}
        shared[exercise] = Counter(pair for hash_, students in holders.items() if hash_ not in common[exercise]
                                   for pair in itertools.combinations(students, 2))
    sizes = {exercise: {student: len(found.hashes.keys() - common[exercise]) for student, found in found_by.items()}
             for exercise, found_by in answers.items()}
    ranked = _pairs(shared, sizes, len(exercises))
    by_exercise = {exercise: sorted((p for p in ranked if p.by_exercise.get(exercise, (0,))[0] >= EXERCISE_THRESHOLD),
                                    key=lambda p, e=exercise: (-p.by_exercise[e][0], -p.by_exercise[e][1], p.students))
                   for exercise in exercises}
    return Comparison(exercises, answers, common, ranked, [p for p in ranked if p.score >= THRESHOLD], by_exercise)


def _pairs(shared, sizes, exercises):
    """Every pair with a fingerprint in common, its scores overall and per exercise, best first."""
    pairs = []
    for students in sorted({pair for counts in shared.values() for pair in counts}):
        a, b = students
        by_exercise = {exercise: (_containment(counts[students], sizes[exercise][a], sizes[exercise][b]),
                                  counts[students]) for exercise, counts in shared.items() if counts[students]}
        pairs.append(Pair(students, sum(score for score, _ in by_exercise.values()) / exercises,
                          sum(count for _, count in by_exercise.values()), by_exercise))
    return sorted(pairs, key=lambda p: (-p.score, -p.shared, p.students))


def _containment(shared, size_a, size_b):
    return shared / min(size_a, size_b) if shared >= MIN_SHARED else 0.0


def class_answers(submitted, lesson, students):
    """{student: {exercise: text}} of the notebooks ``corso grade`` placed in ``submitted`` (screened)."""
    found = {}
    for student in students:
        path = submitted / student / lesson.id / f"{lesson.slug}.ipynb"
        if path.exists():
            found[student] = {exercise: text for exercise, (_, text) in
                              answer_cells(nbformat.read(path, as_version=4)).items()}
    return found


def lesson_exercises(lesson, languages=("it", "en")):
    """({exercise: "code" or "markdown"} in order, {exercise: [the release's text in each language]})."""
    exercises, starters = {}, defaultdict(list)
    for language in languages:
        for exercise, (kind, text) in answer_cells(nbformat.read(lesson.release(language), as_version=4)).items():
            exercises[exercise] = kind
            starters[exercise].append(text)
    return exercises, dict(starters)


def write_page(path, lesson, submissions, submitted):
    """Compare the class's answers and write the page (the instructor's only); the Comparison."""
    exercises, starters = lesson_exercises(lesson)
    comparison = compare(class_answers(submitted, lesson, [s.student for s in submissions]), starters, exercises)
    people = {s.student: s.name for s in submissions}
    write_atomic(path, render(comparison, lesson, people), mode=0o600)
    return comparison


# ---------------------------------------------------------------------------------------------------- the page

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 80em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; } td, th { border-bottom: 1px solid #ddd;
padding: 0.25em 0.6em; text-align: left; vertical-align: top; } th { background: #f4f4f4; }
.note { background: #f6f8fa; border-left: 4px solid #888; padding: 0.5em 1em; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; } pre { background: #fafafa; padding: 0.6em;
overflow-x: auto; white-space: pre-wrap; border: 1px solid #e4e4e4; } mark { background: #ffd27a; }
.score { font-variant-numeric: tabular-nums; }
"""


def render(comparison, lesson, people):
    """The self-contained page: what the score means, the pairs overall and per exercise, each side by side."""
    e = html.escape
    listed = list(comparison.pairs)
    for pairs in comparison.by_exercise.values():
        listed += [pair for pair in pairs[:EXERCISE_ROWS] if pair not in listed]
    anchor = {pair.students: f"pair-{number}" for number, pair in enumerate(listed, start=1)}
    parts = [f"<h1>{e(lesson.id)}: risposte simili, da guardare / similar answers, to look at</h1>",
             _explanation(comparison),
             "<h2>Tutti gli esercizi insieme / All exercises together</h2>",
             _pair_table(comparison.pairs, comparison, people, anchor, None)]
    for exercise in comparison.exercises:
        parts += [f"<h2>{e(exercise)}</h2>",
                  _pair_table(comparison.by_exercise[exercise], comparison, people, anchor, exercise)]
    parts += [_side_by_side(pair, comparison, people, anchor) for pair in listed]
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{e(lesson.id)}: risposte simili / similar answers</title><style>{STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _explanation(comparison):
    students = len({s for found in comparison.answers.values() for s in found})
    overall, exercise, common = f"{THRESHOLD:.0%}", f"{EXERCISE_THRESHOLD:.0%}", f"{COMMON:.0%}"
    return (
        "<div class='note'>"
        f"<p><b>Che cosa significa.</b> Per ogni esercizio si confrontano le risposte di {students} studenti, nelle "
        "due lingue insieme, senza il testo consegnato con la lezione (firma, docstring, segnaposto), senza celle "
        "di test né output. Nel codice contano solo la forma e le operazioni: nomi, commenti e spazi non contano, "
        "quindi una risposta con i nomi cambiati o i commenti tradotti è simile all'originale. Il punteggio di una "
        "coppia su un esercizio è la parte della risposta più corta che si ritrova nell'altra (conta con almeno "
        f"{MIN_SHARED} impronte in comune: risposte di una riga non dicono nulla); il punteggio complessivo è la "
        "media sugli esercizi della lezione. Si elencano le coppie dal "
        f"{overall} complessivo, e per esercizio dal {exercise}; le impronte che ha più del {common} della classe "
        "non contano. Una somiglianza non è una prova: soluzioni brevi o ovvie si somigliano anche quando sono "
        "scritte da sole. Da guardare, con gli studenti.</p>"
        f"<p><b>What it means.</b> For each exercise the answers of {students} students are compared, both "
        "languages together, without the text handed out with the lesson (signature, docstring, stub), without "
        "test cells or outputs. In code only the shape and the operations count: names, comments and spacing do "
        "not, so an answer with renamed variables or translated comments is similar to its original. A pair's "
        "score on an exercise is the share of the shorter answer found in the other (it counts with at least "
        f"{MIN_SHARED} fingerprints in common: one-line answers say nothing); the overall score is the mean over "
        f"the lesson's exercises. Pairs from {overall} overall are listed, and on each exercise from {exercise}; "
        f"fingerprints more than {common} of the class have do not count. Similarity is not proof: short or "
        "obvious solutions are alike even when written alone. To look at, with the students.</p></div>")


def _pair_table(pairs, comparison, people, anchor, exercise):
    e = html.escape
    if not pairs:
        return "<p>Nessuna coppia sopra la soglia / No pair above the threshold.</p>"
    head = ("<tr><th>#</th><th>punteggio / score</th><th>impronte / fingerprints</th><th>studente / student</th>"
            "<th>studente / student</th>" + ("".join(f"<th>{e(x)}</th>" for x in comparison.exercises)
                                              if exercise is None else "") + "</tr>")
    rows = []
    for rank, pair in enumerate(pairs if exercise is None else pairs[:EXERCISE_ROWS], start=1):
        score, shared = (pair.score, pair.shared) if exercise is None else pair.by_exercise[exercise]
        cells = "".join(f"<td class='score'>{pair.by_exercise[x][0]:.0%}</td>" if x in pair.by_exercise
                        else "<td>–</td>" for x in comparison.exercises) if exercise is None else ""
        a, b = pair.students
        rows.append(f"<tr><td>{rank}</td><td class='score'><a href='#{anchor[pair.students]}'>{score:.0%}</a></td>"
                    f"<td class='score'>{shared}</td><td>{_who(a, people)}</td><td>{_who(b, people)}</td>{cells}</tr>")
    more = len(pairs) - len(rows)
    more = f"<p>… e altre {more} coppie / and {more} more pairs.</p>" if more else ""
    return f"<table>{head}{''.join(rows)}</table>{more}"


def _who(student, people):
    name = people.get(student) or ""
    return html.escape(f"{name} ({student})" if name else student)


def _side_by_side(pair, comparison, people, anchor):
    a, b = pair.students
    parts = [f"<h2 id='{anchor[pair.students]}'>{_who(a, people)} — {_who(b, people)}: {pair.score:.0%}</h2>"]
    for exercise, (score, shared) in pair.by_exercise.items():
        first, second = comparison.answers[exercise][a], comparison.answers[exercise][b]
        marked = _marked(first, second, comparison.common[exercise])
        parts.append(f"<h3>{html.escape(exercise)}: {score:.0%} ({shared})</h3><div class='sides'>"
                     + "".join(f"<pre>{text}</pre>" for text in marked) + "</div>")
    return "\n".join(parts)


def _marked(first, second, common):
    """Both answers as HTML, the regions they share marked (copydetect's slices, mapped back to the text)."""
    in_common = (first.hashes.keys() & second.hashes.keys()) - common
    marked = []
    for found in (first, second):
        positions = np.array(sorted(p for hash_ in in_common for p in found.hashes[hash_]), dtype=int)
        slices = get_copied_slices(positions, K)
        if slices.size and found.kind != "code":  # prose: filtered -> text positions, character by character
            slices = np.array([found.offsets[slices[0]], found.offsets[slices[1] - 1] + 1])
        elif slices.size and len(found.offsets):  # code: as copydetect's compare_files
            slices = slices + found.offsets[:, 1][np.clip(np.searchsorted(found.offsets[:, 0], slices), 0,
                                                          found.offsets.shape[0] - 1)]
        if slices.size:
            marked.append(highlight_overlap(found.text, slices, "<mark>", "</mark>", escape_html=True)[0])
        else:
            marked.append(html.escape(found.text))
    return marked
