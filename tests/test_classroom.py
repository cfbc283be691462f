"""The classroom with real Unix users and a real hub (``corso classroom``, ``corso grade --exchange``).

One classroom for the module, made by the real command as root in a folder of /tmp: an instructor and four
students from a Moodle participants download (Italian headers, a teacher's row that must be left out). The
students act through ``sudo -u``, each with their own account and nbgrader's own commands (fetch, submit,
fetch_feedback) from the classroom's student environment: they are the processes the hub would start for them.
The last tests log two students in through the hub's login page in Chromium and go through the Assignments
tab. Accounts are removed at the end. Needs root, sudo and ``make classroom``'s proxy.
"""

import csv
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from project import ROOT
from submissions import auto_points, filled_release
from test_lms import moodle_grading_worksheet, moodle_import

from corso import exchange
from corso.exercises import LABELS, notebook_language
from corso.lessons import find_lessons

pytestmark = [pytest.mark.slow]
LESSON = find_lessons(ROOT)[0]
CORSO = [sys.executable, "-m", "corso.cli", "--root", str(ROOT)]
PROXY = ROOT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
# name, surname, language ("" -> the --language default, it), role: as Moodle's participants download has them
PEOPLE = [("Anna", "Bianchi", "it", "Studente"), ("John", "Smith", "en", "Studente"),
          ("Bruno", "Verdi", "", "Studente"), ("Carla", "Neri", "en", "Studente"), ("Paola", "Rossi", "it", "Docente")]


@dataclass
class Room:
    home: Path
    logins: dict  # first name -> login
    passwords: dict  # login -> password
    instructor: str
    port: int
    course_environment: dict  # what the course's own environment was before setup

    def grading(self):
        return Path(pwd.getpwnam(self.instructor).pw_dir) / "grading"

    def python(self):
        return str(self.home / "student-env" / "bin" / "python")

    def as_user(self, login, *command, check=True):
        """Run ``command`` as ``login`` (sudo -u), in their home, with the environment the hub gives them."""
        classroom = json.loads((self.home / "classroom.json").read_text())
        env = [f"LD_LIBRARY_PATH={classroom['library_path']}"] if classroom["library_path"] else []
        result = subprocess.run(["sudo", "-u", login, "-H", "env", *env, *command], cwd=pwd.getpwnam(login).pw_dir,
                                capture_output=True, text=True, timeout=300)
        if check:
            assert result.returncode == 0, f"{command} as {login}: {result.stdout}\n{result.stderr}"
        return result

    def nbgrader(self, login, *arguments, check=True):
        return self.as_user(login, self.python(), "-m", "nbgrader", *arguments, check=check)

    def student_home(self, first):
        return Path(pwd.getpwnam(self.logins[first]).pw_dir)


def three_free_ports():
    """A port P with P+1 and P+2 free too (the hub, its proxy's API, the hub's own)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 65000 and all(_free(port + i) for i in range(3)):
            return port
    raise RuntimeError("no three free ports in a row")


def _free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def course_environment():
    venv = Path(sys.prefix)
    return {"pyvenv.cfg": (venv / "pyvenv.cfg").read_text(),
            "python": os.readlink(venv / "bin" / "python3.11") if (venv / "bin" / "python3.11").is_symlink() else "",
            "corso": (venv / "bin" / "corso").read_bytes()}


def corso(*arguments, check=True):
    result = subprocess.run([*CORSO, *arguments], capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, f"corso {' '.join(arguments)}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def room():
    if os.geteuid() != 0 or not shutil.which("sudo") or not PROXY.exists():
        pytest.skip("the classroom needs root, sudo and `make classroom` (configurable-http-proxy)")
    prefix = f"c{secrets.token_hex(2)}"
    home = Path(tempfile.mkdtemp(prefix="corso-classroom-", dir="/tmp"))
    home.chmod(0o755)
    students = home / "participants.csv"
    with open(students, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Nome", "Cognome", "Indirizzo email", "Ruoli", "Lingua"])
        for first, last, language, role in PEOPLE:
            writer.writerow([first, last, f"{prefix}.{first.lower()}@studenti.example.it", role, language])
    before, port = course_environment(), three_free_ports()
    instructor = f"{prefix}-prof"
    logins = {first: f"{prefix}-{first.lower()}" for first, *_ in PEOPLE}
    try:
        made = corso("classroom", "setup", "--students", str(students), "--home", str(home), "--port", str(port),
                     "--instructor", instructor)
        passwords = dict(re.findall(r"^  (\S+)  (\S+)$", made.stdout, re.M))
        corso("classroom", "release", LESSON.id, "--home", str(home))
        yield Room(home, logins, passwords, instructor, port, before)
    finally:
        corso("classroom", "stop", "--home", str(home), check=False)
        if (home / "hub" / "jupyterhub.log").exists():  # the hub's and every server's log, for a failure's story
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(home / "hub" / "jupyterhub.log", ARTIFACTS / "jupyterhub.log")
        for login in [instructor, *logins.values()]:
            subprocess.run(["userdel", "--remove", login], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_students_from_moodles_participants_download_in_either_language(tmp_path):
    from corso.classroom import ClassroomError, Student, read_students
    italian = tmp_path / "it.csv"
    italian.write_text("\ufeffNome;Cognome;Indirizzo email;Ruoli;Gruppi\n"
                       "Mário;Rossi;Mario.Rossi@studenti.example.it;Studente;A\n"
                       "Paola;Bruni;paola@example.it;Docente;\n"
                       "Luca;Verdi;1284301@studenti.example.it;Studente, Tutor;\n", encoding="utf-8")
    assert read_students(italian, "it") == [
        Student("mario-rossi", "Mário Rossi", "Mario.Rossi@studenti.example.it", "it"),
        Student("s1284301", "Luca Verdi", "1284301@studenti.example.it", "it")]
    english = tmp_path / "en.csv"
    english.write_text("First name,Last name,Email address,Language\nAnn,Lee,ann.lee@example.org,English\n")
    assert read_students(english, "it") == [Student("ann-lee", "Ann Lee", "ann.lee@example.org", "en")]
    for text, message in [("Nome,Cognome\nA,B\n", "no email or username column"),
                          ("Email,Language\na.b@x.it,fr\n", "line 2: language 'fr' is neither it nor en"),
                          ("Email\na.b@x.it\na_b@y.it\na-b@z.it\n", "lines 2 and 4 give the same account, a-b"),
                          ("Email\n!!!@x.it\n", "makes no Unix login")]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(ClassroomError, match=re.escape(message)):
            read_students(bad, "it")


def mode(path):
    info = os.lstat(path)
    return stat.S_IMODE(info.st_mode), pwd.getpwuid(info.st_uid).pw_name


def test_setup_made_the_accounts_the_exchange_and_left_the_course_alone(room):
    students = [room.logins[first] for first, *_, role in PEOPLE if role == "Studente"]
    assert set(room.passwords) == {room.instructor, *students}, "a password for each new account, none for the teacher"
    with pytest.raises(KeyError):
        pwd.getpwnam(room.logins["Paola"])
    for login in students:
        assert mode(pwd.getpwnam(login).pw_dir) == (0o700, login)
    assert mode(room.home / "classroom.json") == (0o600, "root") and mode(room.home / "hub") == (0o700, "root")
    assert mode(room.grading()) == (0o700, room.instructor)
    exchange_root = room.home / "exchange"
    assert mode(exchange_root) == (0o1777, "root")
    for language in exchange.LANGUAGES:
        course = exchange_root / exchange.course_of("pytorch-intro", language)
        assert [mode(course / part) for part in ("outbound", "inbound", "feedback")] == [
            (0o755, "root"), (0o1733, "root"), (0o711, "root")]
        assert (course / "outbound" / LESSON.id / f"{LESSON.slug}.ipynb").read_bytes() == \
            LESSON.release(language).read_bytes()
    # The student environment is the course's hard-linked: the course's own files are the same as before.
    assert course_environment() == room.course_environment
    import corso as course_package
    assert Path(course_package.__file__).is_relative_to(ROOT)


def test_setup_again_changes_nothing_and_shows_no_password(room):
    students = next(room.home.glob("participants.csv"))
    again = corso("classroom", "setup", "--students", str(students), "--home", str(room.home), "--port",
                  str(room.port), "--instructor", room.instructor)
    assert "password" not in again.stdout
    assert not re.findall(r"^  (\S+)  (\S+)$", again.stdout, re.M)


def test_each_student_fetches_their_own_language_only(room):
    for first, language in (("Bruno", "it"), ("Carla", "en")):
        login = room.logins[first]
        listed = room.nbgrader(login, "list").stdout + room.nbgrader(login, "list").stderr
        assert exchange.course_of("pytorch-intro", language) in listed
        assert exchange.course_of("pytorch-intro", "en" if language == "it" else "it") not in listed
        room.nbgrader(login, "fetch_assignment", LESSON.id)
        fetched = room.student_home(first) / LESSON.id / f"{LESSON.slug}.ipynb"
        assert notebook_language(nbformat.read(fetched, as_version=4)) == language
        assert mode(fetched)[1] == login


def test_a_student_reaches_nothing_of_anyone_else(room):
    bruno, carla = room.logins["Bruno"], room.logins["Carla"]
    scratch = Path(tempfile.mkdtemp(dir="/tmp"))
    scratch.chmod(0o755)
    filled_release(LESSON, "it", scratch / f"{LESSON.slug}.ipynb")
    (scratch / f"{LESSON.slug}.ipynb").chmod(0o644)
    room.as_user(bruno, "cp", str(scratch / f"{LESSON.slug}.ipynb"), f"{LESSON.id}/{LESSON.slug}.ipynb")
    shutil.rmtree(scratch)
    room.nbgrader(bruno, "submit", LESSON.id)
    inbound = room.home / "exchange" / exchange.course_of("pytorch-intro", "it") / "inbound"
    [submitted] = [path for path in inbound.iterdir() if path.name.startswith(f"{bruno}+")]
    exchange_root = room.home / "exchange"
    denied = {
        "list the submissions": ["ls", str(inbound)],
        "list the feedback pages": ["ls", str(exchange_root / exchange.course_of("pytorch-intro", "it") / "feedback")],
        "read a submission by its name": ["cat", str(submitted / f"{LESSON.slug}.ipynb")],
        "list a submission by its name": ["ls", str(submitted)],
        "empty a submission by its name": ["rm", "-f", str(submitted / f"{LESSON.slug}.ipynb")],
        "remove a submission by its name": ["rm", "-rf", str(submitted)],
        "rename a submission by its name": ["mv", str(submitted), str(inbound / f"{carla}+x+y+z")],
        "read a student's home (their submissions' secrets)": ["ls", str(room.student_home("Bruno"))],
        "read the grading folder": ["ls", str(room.grading())],
        "read the classroom's list": ["cat", str(room.home / "classroom.json")],
        "read the hub's folder": ["ls", str(room.home / "hub")],
        "overwrite the release": ["cp", "/etc/hostname",
                                  str(exchange_root / exchange.course_of("pytorch-intro", "it") / "outbound" /
                                      LESSON.id / f"{LESSON.slug}.ipynb")],
        "add to the release": ["touch", str(exchange_root / exchange.course_of("pytorch-intro", "it") / "outbound" /
                                            LESSON.id / "extra.ipynb")],
        "rename a course": ["mv", str(exchange_root / exchange.course_of("pytorch-intro", "it")),
                           str(exchange_root / "moved")],
    }
    for what, command in denied.items():
        result = room.as_user(carla, *command, check=False)
        assert result.returncode != 0 and re.search("Permission denied|Operation not permitted", result.stderr), \
            f"a student could {what}: {command} -> {result.returncode} {result.stdout} {result.stderr}"
    assert submitted.is_dir() and (submitted / f"{LESSON.slug}.ipynb").read_bytes() == \
        (room.student_home("Bruno") / LESSON.id / f"{LESSON.slug}.ipynb").read_bytes()
    assert mode(submitted) == (0o700, bruno), "sealed after nbgrader's submit (corso_student.SealedSubmit)"


def test_submitting_under_another_name_is_graded_as_its_owner_and_a_cut_short_or_huge_one_is_not(room):
    bruno, carla = room.logins["Bruno"], room.logins["Carla"]
    inbound = room.home / "exchange" / exchange.course_of("pytorch-intro", "en") / "inbound"
    room.nbgrader(carla, "submit", LESSON.id, f"--student={bruno}")  # the unanswered release, in Bruno's name
    # Bruno's server killed mid-submit: the notebook half copied, no secret yet (nbgrader writes it last).
    cut = f"{inbound.parent.parent / exchange.course_of('pytorch-intro', 'it') / 'inbound'}/{bruno}+{LESSON.id}+" \
          "2099-01-01 00:00:00.000000 UTC+cutshort"
    room.as_user(bruno, "mkdir", cut)
    room.as_user(bruno, "sh", "-c", f"head -c 300 {LESSON.id}/{LESSON.slug}.ipynb > '{cut}/{LESSON.slug}.ipynb'")
    # Carla's second, later submission: a notebook past the size limit, and a huge file beside it.
    huge = f"{inbound}/{carla}+{LESSON.id}+2099-01-01 00:00:00.000000 UTC+huge"
    room.as_user(carla, "mkdir", huge)
    room.as_user(carla, "truncate", "-s", f"{exchange.NOTEBOOK_BYTES + 1}", f"{huge}/{LESSON.slug}.ipynb")
    room.as_user(carla, "truncate", "-s", "20G", f"{huge}/huge.bin")
    room.as_user(carla, "sh", "-c", f"printf {'a' * 128} > '{huge}/submission_secret.txt'")

    # Moodle's grading worksheet of the assignment lists Bruno (by his email) and not Carla.
    worksheet = room.home / "worksheet.csv"
    worksheet.write_text(moodle_grading_worksheet([(418301, "Bruno Verdi", None)], "it", groups=False).replace(
        "418301@studenti.example.it", f"{bruno.split('-')[0]}.bruno@studenti.example.it"), encoding="utf-8")
    graded = corso("grade", LESSON.id, "--exchange", str(room.home), "--jobs", "2", "--roster", str(worksheet))
    rows = {line.split()[0]: line for line in graded.stdout.splitlines() if line.startswith(("c", "ignored"))}
    assert f"handed in under the name {bruno!r}: graded as its owner, {carla}" in rows[carla]
    assert "over the 64 MiB limit" in rows[carla]
    assert "a submission cut short" in rows[bruno]
    totals = grades(room)
    assert totals[bruno] == sum(auto_points(LESSON).values()) and totals[carla] == 0, totals
    assert "feedback released to the exchange: 2 of 2 students" in graded.stdout
    assert "no participant of the --roster worksheet has this student's email" in rows[carla]
    uploaded = moodle_import((room.grading() / f"moodle-worksheet-{LESSON.id}.csv").read_text(), 30, "it")
    assert {participant: grade for participant, (grade, _) in uploaded.items()} == {"418301": totals[bruno]}
    assert mode(room.grading()) == (0o700, room.instructor)

    again = corso("grade", LESSON.id, "--exchange", str(room.home), "--jobs", "2")
    assert "(2 already graded, not graded again)" in again.stdout
    assert grades(room) == totals


def grades(room):
    with open(room.grading() / f"grades-{LESSON.id}.csv", encoding="utf-8") as table:
        return {row["student"]: float(row["total"]) for row in csv.DictReader(table)}


def test_each_student_fetches_their_own_feedback_in_their_language(room):
    totals = grades(room)
    for first, language in (("Bruno", "it"), ("Carla", "en")):
        login = room.logins[first]
        room.nbgrader(login, "fetch_feedback", LESSON.id)
        [page] = (room.student_home(first) / LESSON.id / "feedback").glob(f"*/{LESSON.slug}.html")
        text = page.read_text()
        assert f'<html lang="{language}">' in text and LABELS[language]["score"] in text
        total = re.search(r'id="corso-total">([\d.]+) /', text).group(1)
        assert float(total) == totals[login]
    feedback = room.home / "exchange" / exchange.course_of("pytorch-intro", "it") / "feedback"
    assert all(mode(page) == (0o644, "root") for page in feedback.iterdir())
    assert all(re.fullmatch(r"[0-9a-f]{32}\.html", page.name) for page in feedback.iterdir())


def test_status_start_stop(room):
    status = corso("classroom", "status", "--home", str(room.home)).stdout
    assert "hub: stopped" in status
    started = time.monotonic()
    assert f"127.0.0.1:{room.port}" in corso("classroom", "start", "--home", str(room.home)).stdout
    print(f"hub start: {time.monotonic() - started:.1f} s")
    assert "hub: running" in corso("classroom", "status", "--home", str(room.home)).stdout
    assert "hub stopped" in corso("classroom", "stop", "--home", str(room.home)).stdout
    assert "hub: stopped" in corso("classroom", "status", "--home", str(room.home)).stdout


# ---------------------------------------------------------------------------------------------------
# In the browser: two students log in through the hub and use the Assignments tab

ARTIFACTS = ROOT / "test-artifacts" / "classroom"
README_SCREENSHOTS = {"assignments": "it-classroom-assignments.png", "feedback": "it-classroom-feedback.png"}


@pytest.fixture(scope="module")
def hub(room):
    started = time.monotonic()
    address = corso("classroom", "start", "--home", str(room.home)).stdout.split()[-1]
    try:
        yield address, started
    finally:
        corso("classroom", "stop", "--home", str(room.home), check=False)


@pytest.fixture(scope="module")
def browser():
    from labpage import chromium
    with chromium() as started:
        yield started


def log_in(browser, address, login, password):
    """A new browser (context) logged in through the hub's login page, JupyterLab shown."""
    from labpage import VIEWPORT
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(120_000)  # the suite runs beside this test: a busy machine answers slowly
    page = context.new_page()
    page.goto(f"{address}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    return context, page


def assignments(page):
    """nbgrader's Assignments tab, opened from the Nbgrader menu and refreshed."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    tab = page.locator("#assignments")
    tab.wait_for(state="visible")
    tab.locator("#refresh_assignments_list").click()
    return tab


def expect(locator):
    """Playwright's assertion, which waits (up to two minutes) for the page to show what it is told to."""
    from playwright.sync_api import expect as playwright_expect
    playwright_expect.set_options(timeout=120_000)
    return playwright_expect(locator)


def first_answer(language):
    from test_edition_browser import FIRST
    cells = nbformat.read(LESSON.release(language), as_version=4).cells
    index = next(i for i, cell in enumerate(cells) if cell.metadata.get("nbgrader", {}).get("grade_id") == FIRST)
    from submissions import answers
    return index, answers(LESSON)[FIRST], f"{FIRST}_tests"


@pytest.mark.browser
def test_students_log_in_fetch_validate_submit_and_read_their_own_feedback(room, hub, browser):
    from labpage import NotebookPage, publish
    from test_edition_browser import shown

    from corso.exercises import NOT_ANSWERED, PASSED
    address, started = hub
    students = {"Anna": "it", "John": "en"}
    pages, screenshots, timings = {}, {}, {}
    for first, language in students.items():
        login = room.logins[first]
        context, page = log_in(browser, address, login, room.passwords[login])
        timings.setdefault("hub start to the first student's JupyterLab", time.monotonic() - started)
        pages[first] = page
        tab = assignments(page)
        expect(tab.locator("#course_list_default")).to_have_text(exchange.course_of("pytorch-intro", language))
        moment = time.monotonic()
        tab.locator("#released_assignments_list .list_item", has_text=LESSON.id).locator("button").click()
        tab.locator("#fetched_assignments_list .list_item", has_text=LESSON.id).first.wait_for()
        timings[f"fetch ({first})"] = time.monotonic() - moment
        fetched = room.student_home(first) / LESSON.id / f"{LESSON.slug}.ipynb"
        assert notebook_language(nbformat.read(fetched, as_version=4)) == language

        page.goto(f"{address}/user/{login}/lab/tree/{LESSON.id}/{LESSON.slug}.ipynb")
        notebook = NotebookPage(page, None, f"{LESSON.id}/{LESSON.slug}.ipynb", ARTIFACTS, first.lower())
        notebook.wait_kernel_idle()
        index, solution, _ = first_answer(language)
        notebook.set_source(index, solution)
        rows = shown(notebook.validate())
        assert [status for _, status, _ in rows[:2]] == [LABELS[language][PASSED], LABELS[language][NOT_ANSWERED]]
        notebook.close_dialog()

        tab = assignments(page)
        moment = time.monotonic()
        tab.locator("#fetched_assignments_list .list_item", has_text=LESSON.id).locator(
            "button", has_text="Submit").first.click()
        tab.locator("#submitted_assignments_list .list_item", has_text=LESSON.id).first.wait_for()
        timings[f"submit ({first})"] = time.monotonic() - moment

    # A student's browser cannot open another student's JupyterLab (John's is running).
    elsewhere = pages["Anna"].context.new_page()
    assert elsewhere.goto(f"{address}/user/{room.logins['John']}/lab").status == 403
    elsewhere.close()
    assert_limits(room.logins["Anna"])

    corso("grade", LESSON.id, "--exchange", str(room.home), "--jobs", "2")
    totals, points = grades(room), auto_points(LESSON)[first_answer("it")[2]]
    for first, language in students.items():
        login, page = room.logins[first], pages[first]
        assert totals[login] == points
        tab = assignments(page)
        item = tab.locator("#submitted_assignments_list .list_item", has_text=LESSON.id).first
        item.locator("button", has_text="Fetch Feedback").click()
        link = item.locator("a", has_text="view feedback")
        link.wait_for()
        if first == "Anna":
            page.screenshot(path=ARTIFACTS / "anna-assignments.png")
            screenshots["assignments"] = ARTIFACTS / "anna-assignments.png"
        link.click()  # nbgrader's link: the file browser goes to the fetched page's folder
        page.locator(".jp-DirListing-item", has_text=f"{LESSON.slug}.html").dblclick()
        feedback = page.frame_locator(".jp-HTMLViewer iframe").first
        assert feedback.locator("#corso-total").inner_text().split("/")[0].strip() == f"{points:g}"
        shown_text, other = feedback.locator("body").inner_text(), "en" if language == "it" else "it"
        assert LABELS[language]["score"] in shown_text and LABELS[other]["score"] not in shown_text
        if first == "Anna":
            page.screenshot(path=ARTIFACTS / "anna-feedback.png")
            screenshots["feedback"] = ARTIFACTS / "anna-feedback.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.txt").write_text("".join(f"{s:7.2f} s  {what}\n" for what, s in timings.items()))
    publish(screenshots, README_SCREENSHOTS)


@pytest.mark.browser
def test_the_instructor_opens_the_formgrader_in_a_tab_of_its_own(room, hub, browser):
    """nbgrader #1870: inside JupyterLab the formgrader's panel would be blank under JupyterHub >= 4.1 (its
    single-user servers forbid frames), so it is turned off and the formgrader has a tab of its own."""
    address, _ = hub
    _, page = log_in(browser, address, room.instructor, room.passwords[room.instructor])
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    assert "Formgrader" not in page.locator(".lm-Menu-content").inner_text()
    response = page.goto(f"{address}/user/{room.instructor}/formgrader/gradebook/{LESSON.id}/{LESSON.slug}")
    assert response.status == 200
    for first in ("Bruno", "Carla", "Anna", "John"):
        # one row per graded student (the formgrader lists names hidden until asked to show them)
        page.locator("a.name-shown", has_text=room.logins[first]).first.wait_for(state="attached")


@pytest.mark.browser
def test_a_restarted_hub_keeps_every_submission_and_feedback(room, hub, browser):
    address, _ = hub
    inbound = sorted(path.name for path in room.home.glob("exchange/*/inbound/*"))
    corso("classroom", "stop", "--home", str(room.home))
    assert not classroom_servers(room)
    corso("classroom", "start", "--home", str(room.home))
    assert sorted(path.name for path in room.home.glob("exchange/*/inbound/*")) == inbound
    login = room.logins["Anna"]
    _, page = log_in(browser, address, login, room.passwords[login])
    item = assignments(page).locator("#submitted_assignments_list .list_item", has_text=LESSON.id).first
    expect(item.locator("a", has_text="view feedback")).to_have_count(1)


def assert_limits(login):
    """The student's JupyterLab (and so each kernel it starts) runs under the classroom's process limits."""
    from corso.classroom import FILE_LIMIT, PROCESS_LIMIT
    uid = pwd.getpwnam(login).pw_uid
    [server] = [pid for pid in os.listdir("/proc") if pid.isdigit() and _owner(pid) == uid
                and b"jupyterhub.singleuser" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    table = Path(f"/proc/{server}/limits").read_text().splitlines()
    limits = {line[:26].strip(): line[26:].split()[:2] for line in table}
    assert limits["Max file size"] == [str(FILE_LIMIT)] * 2 and limits["Max processes"] == [str(PROCESS_LIMIT)] * 2


def _owner(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return None


def classroom_servers(room):
    from corso import classroom
    return classroom.servers(room.home)
