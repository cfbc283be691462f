"""The classroom's rows (``benchmarks/run.py --only classroom``, as root): a real hub with real accounts in a
scratch folder of /tmp, removed afterwards.

- the hub's start to a student's first JupyterLab page (login, spawn, the page), and a fetch and a submit from
  the Assignments tab, in Chromium;
- ``corso grade --exchange`` of 40 submissions (each handed in by its student with ``nbgrader submit``) against
  ``corso grade`` of the same 40 notebooks from a folder;
- the memory of N students' JupyterLab servers, idle, then each running a lesson from the start at once (a new
  kernel runs every cell as the student, in the classroom's environment with the hub's one thread a kernel:
  what a Run All starts).
"""

import csv
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from mnist import row
from submissions import filled_release
from test_classroom import assignments, log_in, three_free_ports

ROOT = Path(__file__).resolve().parent.parent
CORSO = [str(Path(sys.executable).parent / "corso"), "--root", str(ROOT)]


# A Run All as the student's server does it: a new kernel runs every cell (nbclient, what nbconvert uses too).
RUN_ALL = ("import sys, nbclient, nbformat; "
           "nbclient.NotebookClient(nbformat.read(sys.argv[1], 4), timeout=600, kernel_name='python3').execute()")


def corso(*arguments):
    return subprocess.run([*CORSO, *arguments], check=True, capture_output=True, text=True).stdout


def classroom_rows(reps, students=40, servers=10):
    from corso.course import find_lesson
    lesson = find_lesson(ROOT, "01-tensors")
    home = Path(tempfile.mkdtemp(prefix="corso-bench-classroom-", dir="/tmp"))
    home.chmod(0o755)
    logins = [f"bench{i:02d}" for i in range(students)]
    with open(home / "students.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["First name", "Last name", "Email address", "Language"])
        writer.writerows([login, "Student", f"{login}@example.org", "it" if i % 2 else "en"]
                         for i, login in enumerate(logins))
    rows = []
    try:
        start = time.perf_counter()
        made = corso("classroom", "setup", "--students", str(home / "students.csv"), "--home", str(home),
                     "--port", str(three_free_ports()), "--instructor", "benchprof")
        rows.append(row(f"classroom setup: {students} students' accounts, the student environment",
                        f"{time.perf_counter() - start:.1f} s"))
        passwords = dict(line.split() for line in made.splitlines() if line.startswith("  "))
        corso("classroom", "release", lesson.id, "--home", str(home))
        rows += browser_rows(home, logins[:reps], passwords, lesson)
        hand_in(home, logins[reps:], lesson)
        rows += grading_rows(home, lesson)
        rows += memory_rows(home, logins[:servers], passwords)
    finally:
        subprocess.run([*CORSO, "classroom", "stop", "--home", str(home)], capture_output=True)
        for login in ["benchprof", *logins]:
            subprocess.run(["userdel", "--remove", login], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
    return rows


def browser_rows(home, logins, passwords, lesson):
    """Hub start to the first page, then a fetch and a submit from the Assignments tab, for each of ``logins``."""
    from labpage import chromium
    first_page, fetch, submit = [], [], []
    with chromium() as browser:
        for login in logins:
            corso("classroom", "stop", "--home", str(home))
            start = time.perf_counter()
            address = corso("classroom", "start", "--home", str(home)).split()[-1]
            context, page = log_in(browser, address, login, passwords[login])
            first_page.append(time.perf_counter() - start)
            tab = assignments(page)
            start = time.perf_counter()
            tab.locator("#released_assignments_list .list_item", has_text=lesson.id).locator("button").click()
            tab.locator("#fetched_assignments_list .list_item", has_text=lesson.id).first.wait_for()
            fetch.append(time.perf_counter() - start)
            start = time.perf_counter()
            tab.locator("#fetched_assignments_list .list_item", has_text=lesson.id).locator(
                "button", has_text="Submit").first.click()
            tab.locator("#submitted_assignments_list .list_item", has_text=lesson.id).first.wait_for()
            submit.append(time.perf_counter() - start)
            context.close()
    n = f"median of {len(logins)}"
    return [row("classroom: hub start to a student's JupyterLab (log in, start the server, the page)",
                f"{statistics.median(first_page):.1f} s ({n})"),
            row("classroom: a student's fetch from the Assignments tab (click to listed)",
                f"{statistics.median(fetch):.2f} s ({n})"),
            row("classroom: a student's submit from the Assignments tab (click to listed)",
                f"{statistics.median(submit):.2f} s ({n})")]


def student_command(home, login, *command):
    """``command`` as ``login`` (sudo), with the environment the hub gives a student's server."""
    library = str(home / "python" / "lib") if (home / "python").is_dir() else ""
    return ["sudo", "-u", login, "-H", "env", f"LD_LIBRARY_PATH={library}", f"CORSO_DATA_DIR={home / 'data'}",
            "OMP_NUM_THREADS=1", *command]


def as_student(home, login, *command):
    return subprocess.run(student_command(home, login, *command), cwd=pwd.getpwnam(login).pw_dir, check=True,
                          capture_output=True, text=True)


def hand_in(home, logins, lesson):
    """Each student fetches the lesson, answers it (a quarter leave it unanswered) and submits it."""
    python = str(home / "student-env" / "bin" / "python")
    scratch = Path(tempfile.mkdtemp(dir="/tmp"))
    scratch.chmod(0o755)
    for i, login in enumerate(logins):
        as_student(home, login, python, "-m", "nbgrader", "fetch_assignment", lesson.id)
        if i % 4 != 3:
            language = "it" if "-it" in (Path(pwd.getpwnam(login).pw_dir) / "nbgrader_config.py").read_text() \
                else "en"
            answered = filled_release(lesson, language, scratch / f"{login}.ipynb")
            answered.chmod(0o644)
            as_student(home, login, "cp", str(answered), f"{lesson.id}/{lesson.slug}.ipynb")
        as_student(home, login, python, "-m", "nbgrader", "submit", lesson.id)
    shutil.rmtree(scratch)


def grading_rows(home, lesson):
    from corso import classroom
    start = time.perf_counter()
    corso("grade", lesson.id, "--exchange", str(home), "--workdir", str(home / "grading-exchange"))
    exchange_seconds = time.perf_counter() - start
    latest, folder, _ = classroom.collect(home, lesson, home / "scratch")
    handed = home / "handed-in"
    shutil.copytree(folder, handed)
    start = time.perf_counter()
    corso("grade", lesson.id, str(handed), "--workdir", str(home / "grading-folder"))
    folder_seconds = time.perf_counter() - start
    return [row(f"autograde {len(latest)} submissions of {lesson.id} from the classroom's exchange "
                "(`corso grade --exchange`: collect, grade, release the feedback)", f"{exchange_seconds:.0f} s",
                "the same notebooks from a folder (`corso grade`)",
                f"{folder_seconds:.0f} s ({(exchange_seconds / folder_seconds - 1) * 100:+.0f} %)")]


def memory_rows(home, logins, passwords):
    """The students' JupyterLab servers idle, then each running lesson 04's solution from the start at once."""
    from labpage import chromium

    from corso import classroom
    from corso.course import find_lesson
    lesson = find_lesson(ROOT, "04-mnist-mlp")
    address = corso("classroom", "start", "--home", str(home)).split()[-1]
    with chromium() as browser:
        contexts = [log_in(browser, address, login, passwords[login])[0] for login in logins]
        time.sleep(10)
        idle = classroom.servers(home)
        for context in contexts:
            context.close()
    python = str(home / "student-env" / "bin" / "python")
    peaks, lock = {}, threading.Lock()

    def sample(stop):
        while not stop.is_set():
            for login, size in classroom.servers(home).items():
                with lock:
                    peaks[login] = max(peaks.get(login, 0), size)
            time.sleep(0.5)

    copies = []
    for login in logins:
        copy = Path(pwd.getpwnam(login).pw_dir) / "run-all.ipynb"
        shutil.copy(lesson.solution, copy)
        os.chown(copy, pwd.getpwnam(login).pw_uid, pwd.getpwnam(login).pw_gid)
        copies.append(copy)
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(stop,))
    sampler.start()
    start = time.perf_counter()
    errors = {login: open(home / f"{login}.err", "w") for login in logins}  # noqa: SIM115 (closed below)
    runs = [subprocess.Popen(student_command(home, login, python, "-c", RUN_ALL, str(copy)), cwd=copy.parent,
                             stdout=subprocess.DEVNULL, stderr=errors[login])
            for login, copy in zip(logins, copies, strict=True)]
    failures = [(home / f"{login}.err").read_text().strip().splitlines()[-1:] for login, run in zip(logins, runs,
                strict=True) if run.wait() != 0]
    for error in errors.values():
        error.close()
    failed = f"{len(failures)} failed: {failures[0]}" if failures else ""
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    mib = 2 ** 20
    n = len(logins)
    return [row(f"classroom: {n} students' JupyterLab servers, idle (PSS, per student: median)",
                f"{statistics.median(idle.values()) / mib:.0f} MiB ({sum(idle.values()) / mib:.0f} MiB in all)"),
            row(f"classroom: {n} students running {lesson.id} from the start at once (peak PSS per student: "
                "server and kernel)", f"{statistics.median(peaks.values()) / mib:.0f} MiB (all done in "
                f"{seconds:.0f} s{', ' + failed if failed else ''})")]
