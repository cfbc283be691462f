"""The class report: one self-contained HTML page for the instructor, written next to the grades CSV.

The score distribution, per exercise the share of students who passed, failed, did not answer (from the same
classifier as the students' pages, ``outcomes.classify``), the most common failure messages grouped, the
submissions flagged for review, and the language split. Headings are in Italian and English (the course's
instructors are Italian, a guest may not be); titles and messages are the lesson's Italian ones, as authored.
Plots are matplotlib's, inlined as SVG; nothing on the page is loaded from anywhere, and every text that comes
from a submission (ids, names, messages, problem lines) is escaped. Its Content-Security-Policy, the feedback
page's without scripts, lets nothing run and nothing load even if something were not.
"""

import html
import io
import statistics
from collections import Counter

import nbformat

from corso.exercises import AWAITING, FAILED, GRADED, KERNEL_DIED, NOT_ANSWERED, PASSED, REVIEW, TIMED_OUT, title_html
from corso.grading.feedback import content_security_policy
from corso.grading.outcomes import classify, number

LANGUAGE = "it"  # the language of titles and messages in the report
COLUMNS = [(PASSED, "superato / passed", "#2e7d32"), (FAILED, "non superato / failed", "#c62828"),
           (NOT_ANSWERED, "senza risposta / not answered", "#9e9e9e"),
           (TIMED_OUT, "tempo scaduto / timed out", "#e65100"), (REVIEW, "da rivedere / review", "#6a1b9a"),
           (KERNEL_DIED, "kernel interrotto / kernel died", "#4e342e")]
WRITTEN = [(AWAITING, "in attesa / awaiting instructor", "#1565c0"),
           (GRADED, "valutata / graded by instructor", "#00838f")]
MOST_COMMON = 3  # failure messages shown per exercise


def class_outcomes(report, lesson):
    """{student: [Outcome]} for every submission that was graded, from its autograded notebook."""
    source = nbformat.read(lesson.source, as_version=4)
    folder = report.csv.parent / "autograded"
    found = {}
    for submission in report.submissions:
        path = folder / submission.student / lesson.id / f"{lesson.slug}.ipynb"
        if submission.scores and path.exists():
            found[submission.student] = classify(nbformat.read(path, as_version=4), source, submission.scores,
                                                 language=LANGUAGE)
    return found


def render(report, lesson):
    """The page (HTML text) for a grading run's ``report``."""
    outcomes = class_outcomes(report, lesson)
    e = html.escape
    sections = [
        f"<h1>{e(lesson.id)}: rapporto della classe / class report</h1>",
        _overview(report, outcomes),
        "<h2>Distribuzione dei punteggi / Score distribution</h2>",
        _figure(_histogram(report, outcomes), "score-histogram"),
        "<h2>Esercizi / Exercises</h2>",
        _figure(_exercise_bars(outcomes), "exercise-bars"),
        _exercise_table(outcomes),
        "<h2>Errori più frequenti / Most common failures</h2>",
        _failures(outcomes),
        "<h2>Da rivedere / Flagged for review</h2>",
        _flagged(report, outcomes),
        *_similar(report),
    ]
    return PAGE.format(title=e(f"{lesson.id}: class report"), body="\n".join(sections),
                       policy=e(content_security_policy()))


def _similar(report):
    """The link to the similarity page, when this run wrote one."""
    if report.similarity is None:
        return []
    page, pairs = report.similarity
    return ["<h2>Risposte simili / Similar answers</h2>",
            f"<p><a href='{html.escape(page.name)}'>{html.escape(page.name)}</a>: {pairs} coppie da guardare / "
            f"{pairs} pairs to look at.</p>"]


def _overview(report, outcomes):
    totals = [submission.total for submission in report.submissions if submission.student in outcomes]
    languages = Counter(submission.language or "?" for submission in report.submissions)
    rows = [("studenti / students", len(report.submissions)),
            ("valutati / graded", len(outcomes)),
            ("punti massimi / maximum", number(report.max_total))]
    if totals:
        rows += [("media / mean", number(statistics.mean(totals))),
                 ("mediana / median", number(statistics.median(totals))),
                 ("minimo - massimo / min - max", f"{number(min(totals))} - {number(max(totals))}")]
    split = ", ".join(f"{language}: {count}" for language, count in sorted(languages.items()))
    rows.append(("lingua / language", split))
    return _table([], rows, "overview")


def _by_exercise(outcomes):
    """[(first outcome, [every student's outcome])] per exercise, in the lesson's order."""
    columns = list(zip(*outcomes.values(), strict=True)) if outcomes else []
    return [(column[0], list(column)) for column in columns]


def _exercise_table(outcomes):
    rows = []
    for first, column in _by_exercise(outcomes):
        counts = Counter(outcome.status for outcome in column)
        scores = [outcome.score for outcome in column if outcome.score is not None]
        rows.append([title_html(first.title), number(first.max_score),
                     number(statistics.mean(scores)) if scores else "–",
                     *(_share(counts[status], len(column)) for status, _, _ in COLUMNS[:3]),
                     _share(sum(counts[status] for status, _, _ in COLUMNS[3:]), len(column)),
                     _share(len(column) - len(scores), len(column))])
    header = ["esercizio / exercise", "punti / points", "media / mean", *(label for _, label, _ in COLUMNS[:3]),
              "tempo, revisione, kernel / timed out, review, kernel", "in attesa / awaiting instructor"]
    return _table(header, rows, "exercises", raw_first=True)


def _failures(outcomes):
    """Per exercise, the most common failure messages (already in Italian), grouped by what precedes their
    first colon ("Tipo errato", "Valori errati", ...)."""
    parts = []
    for first, column in _by_exercise(outcomes):
        messages = [outcome.message for outcome in column if outcome.status == FAILED and outcome.message]
        if not messages:
            continue
        groups = Counter(_group(message) for message in messages)
        examples = {}
        for message in messages:
            examples.setdefault(_group(message), message)
        rows = [[str(count), html.escape(group), html.escape(_shorten(examples[group]))]
                for group, count in groups.most_common(MOST_COMMON)]
        parts.append(f"<h3>{title_html(first.title)}</h3>")
        parts.append(_table(["studenti / students", "errore / failure", "esempio / example"], rows, "failures",
                            escape=False))
    return "\n".join(parts) or "<p>Nessun test fallito con un messaggio. / No failing test with a message.</p>"


def _flagged(report, outcomes):
    rows = []
    for submission in report.submissions:
        lines = [line for line in submission.problems if line.startswith(("REVIEW", "not graded"))]
        reviewed = [outcome.title for outcome in outcomes.get(submission.student, []) if outcome.status == REVIEW]
        if lines or reviewed:
            rows.append([submission.student, submission.name or "", "; ".join(reviewed), "\n".join(lines)])
    if not rows:
        return "<p>Nessuna consegna da rivedere. / No submission flagged for review.</p>"
    return _table(["studente / student", "nome / name", "esercizi / exercises", "motivo / reason"], rows, "flagged")


def _group(message):
    return message.split(":")[0].strip()[:80]


def _shorten(message, limit=200):
    return message if len(message) <= limit else message[:limit] + "…"


def _share(count, total):
    return f"{round(100 * count / total)} % ({count})" if total else "–"


def _table(header, rows, css_class, raw_first=False, escape=True):
    """An HTML table; cells escaped unless ``escape`` is False (or, with ``raw_first``, the first column)."""
    def cell(index, value):
        text = str(value)
        return text if not escape or (raw_first and index == 0) else html.escape(text)
    head = "<thead><tr>" + "".join(f"<th>{html.escape(title)}</th>" for title in header) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{cell(index, value)}</td>" for index, value in enumerate(row)) + "</tr>"
                   for row in rows)
    return f'<table class="{css_class}">{head if header else ""}<tbody>{body}</tbody></table>'


# ---------------------------------------------------------------- plots


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "corso-class-report"  # the same ids in the SVG on every run
    import matplotlib.pyplot as plt
    return plt


def _histogram(report, outcomes):
    plt = _pyplot()
    totals = [submission.total for submission in report.submissions if submission.student in outcomes]
    maximum = report.max_total
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.hist(totals, bins=[x - 0.5 for x in range(int(maximum) + 2)], color="#1565c0", edgecolor="white")
    ax.set_xlabel("punti / points")
    ax.set_ylabel("studenti / students")
    ax.set_xlim(-0.5, maximum + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return fig


def _exercise_bars(outcomes):
    plt = _pyplot()
    exercises = _by_exercise(outcomes)
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(exercises), 1) + 1.2))
    names = [f"{index + 1}. {first.grade_id}" for index, (first, _) in enumerate(exercises)]
    left = [0.0] * len(exercises)
    for status, label, color in COLUMNS + WRITTEN:
        shares = [100 * sum(outcome.status == status for outcome in column) / len(column) for _, column in exercises]
        if any(shares):
            ax.barh(names, shares, left=left, color=color, label=label)
            left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% studenti / % of students")
    if ax.get_legend_handles_labels()[0]:  # no bar, no legend (no submission was graded)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", frameon=False)
    return fig


def _figure(fig, name):
    """A figure as inline SVG (no date, no external reference), closed once drawn."""
    plt = _pyplot()
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = out.getvalue()
    return f'<figure class="{name}">{svg[svg.index("<svg"):]}</figure>'


PAGE = """<!DOCTYPE html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; font-size: 14px; max-width: 1100px; margin: 1.5em auto; padding: 0 1em;
  color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }}
h3 {{ font-size: 1.05em; }}
table {{ border-collapse: collapse; margin: .5em 0; }}
th, td {{ border: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }}
th {{ background: #f5f5f5; }}
td {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
table.exercises td:not(:first-child) {{ text-align: right; white-space: nowrap; }}
table.failures td:last-child {{ font-family: ui-monospace, monospace; font-size: .9em; }}
figure {{ margin: .5em 0; }} figure svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
