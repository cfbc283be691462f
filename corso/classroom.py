"""The classroom: the course served from one Linux machine by JupyterHub, to students with Unix accounts.

    corso classroom setup --students CSV   accounts, the hub's configuration, the exchange, the student environment
    corso classroom start | stop | status  the hub (and, through it, each student's JupyterLab)
    corso classroom release LESSON         the lesson in the exchange, each language to its students
    corso grade LESSON --exchange          (corso.grading) collect, grade, and release the feedback pages

Everything lives in the classroom's folder (``--home``, default /srv/corso), made by ``setup`` as root:

- ``classroom.json`` (root, 0600): the instructor, the students (login, name, email, language), the hub's address;
- ``hub/`` (root, 0700): ``jupyterhub_config.py``, the hub's database, cookie secret, log and pid;
- ``exchange/``: nbgrader's filesystem exchange (see corso.exchange), one course per language;
- ``student-env`` -> ``student-env.HASH/``: the Python each JupyterLab runs, the course's own environment
  hard-linked (no second copy of PyTorch) with the student edition's wheels installed over it: the
  student-only JupyterLab, the course's Validate and Italian language pack;
- ``config/student/`` and ``config/instructor/``: each role's Jupyter configuration (``JUPYTER_CONFIG_PATH``);
- ``data/``: MNIST, read-only for everyone (``CORSO_DATA_DIR``);

and the instructor's ``~/grading/`` (0700): where ``corso grade --exchange`` grades, the formgrader's course (the
formgrader wants its course inside the server's root folder, the instructor's home).

Each student's home (0700) gets ``nbgrader_config.py`` (their language's course in the exchange) and, the first
time only, their interface language in JupyterLab's settings.
"""

import csv
import hashlib
import io
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from corso import exchange
from corso.files import write_atomic

HOME = Path("/srv/corso")
STUDENTS_GROUP = "corso-students"
PORT = 8000
# The columns of Moodle's participants download (Participants -> "Download table data as"), in Italian and in
# English (Moodle's lang/it/moodle.php and lang/en/moodle.php: firstname, lastname, email, roles); a
# "Lingua"/"Language" column or --language gives each student's language; "Username" is used when present.
COLUMNS = {"first": {"nome", "first name"}, "last": {"cognome", "last name", "surname"},
           "email": {"indirizzo email", "email address", "email"}, "language": {"lingua", "language"},
           "login": {"username", "nome utente"}, "roles": {"ruoli", "roles"}}
STUDENT_ROLES = {"studente", "student"}
LOGIN = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# The per-server limits the local spawner can apply, as the student's own process limits (prlimit(1)): a file
# may not outgrow FILE_LIMIT (a runaway write fills no disk), a student may not run more than PROCESS_LIMIT
# processes and threads. Memory and CPU limits need a spawner that makes cgroups (see README, "Classroom").
FILE_LIMIT = 2 << 30
PROCESS_LIMIT = 2048


class ClassroomError(Exception):
    """The classroom cannot be set up or run; the message says why."""


@dataclass(frozen=True)
class Student:
    login: str
    name: str
    email: str
    language: str


def read_students(path, language):
    """The students of a Moodle participants download (or any CSV with its columns) at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ClassroomError(f"--students {path}: cannot read it ({error})") from None
    header_line = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=header_line.count)  # Moodle writes commas; a spreadsheet may save semicolons
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ClassroomError(f"--students {path}: empty")
    header = [cell.strip().lower() for cell in rows[0]]
    column = {key: next((i for i, cell in enumerate(header) if cell in names), None) for key, names in COLUMNS.items()}
    if column["email"] is None and column["login"] is None:
        raise ClassroomError(f"--students {path}: no email or username column (found: {', '.join(rows[0])})")
    students, seen = [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {key: row[i].strip() if i is not None and i < len(row) else "" for key, i in column.items()}
        if cell["roles"] and not STUDENT_ROLES & {role.strip().lower() for role in cell["roles"].split(",")}:
            continue
        student = Student(_login(cell["login"] or cell["email"].split("@")[0], f"{path}, line {number}"),
                          f"{cell['first']} {cell['last']}".strip(), cell["email"],
                          _language(cell["language"] or language, f"{path}, line {number}"))
        if student.login in seen:
            raise ClassroomError(f"--students {path}: lines {seen[student.login]} and {number} give the same "
                                 f"account, {student.login} (add a Username column to tell them apart)")
        seen[student.login] = number
        students.append(student)
    return students


def _login(text, where):
    """A Unix login from a username or an email's local part: ASCII, lower case, starting with a letter."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    login = re.sub(r"[^a-z0-9_-]+", "-", ascii_text).strip("-")
    login = login if login[:1].isalpha() or not login else f"s{login}"
    if not LOGIN.fullmatch(login):
        raise ClassroomError(f"{where}: {text!r} makes no Unix login (at most 32 letters, digits, - and _)")
    return login


def _language(text, where):
    language = text.strip().lower()[:2]
    if language not in exchange.LANGUAGES:
        raise ClassroomError(f"{where}: language {text!r} is neither it nor en")
    return language


def setup(root, students_csv, home=HOME, instructor="docente", language="it", port=PORT, ip="127.0.0.1",
          existing_accounts=False, proxy=None):
    """Set the classroom up (again: every step leaves what is already right alone); the new accounts' passwords."""
    from corso.course import load_config
    if os.geteuid() != 0:
        raise ClassroomError("corso classroom setup makes Unix accounts and runs the hub: run it as root")
    students = read_students(students_csv, language)
    home = Path(home)
    course_id = load_config(root).CourseDirectory.course_id
    proxy = _proxy(root, proxy)
    for folder, mode in ((home, 0o755), (home / "hub", 0o700), (home / "config", 0o755)):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)
    _run(["groupadd", "-f", STUDENTS_GROUP])
    passwords = {}
    _account(instructor, "instructor", None, existing_accounts, passwords)
    for student in students:
        _account(student.login, student.name, STUDENTS_GROUP, existing_accounts, passwords)
    exchange.ensure_courses(home / "exchange", course_id)
    _student_environment(root, home)
    grading = Path(pwd.getpwnam(instructor).pw_dir) / "grading"
    _role_configs(home, course_id, grading)
    _data(home)
    grading.mkdir(exist_ok=True)
    _own(grading, instructor, 0o700)
    for student in students:
        _student_home(root, student, course_id, home)
    python = _public_python(home)
    classroom = {"instructor": instructor, "grading": str(grading), "course_id": course_id, "ip": ip, "port": port,
                 "proxy": str(proxy),
                 "library_path": str(python / "lib") if python != Path(sys.base_prefix) else "",
                 "file_limit": FILE_LIMIT, "process_limit": PROCESS_LIMIT,
                 "students": {s.login: {"name": s.name, "email": s.email, "language": s.language} for s in students}}
    write_atomic(home / "classroom.json", json.dumps(classroom, indent=1, ensure_ascii=False) + "\n", mode=0o600)
    write_atomic(home / "hub" / "jupyterhub_config.py", HUB_CONFIG, mode=0o600)
    return passwords


def _proxy(root, proxy):
    """configurable-http-proxy: given, the course's (``make classroom``), or on PATH."""
    candidates = [proxy] if proxy else [Path(root) / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy",
                                        shutil.which("configurable-http-proxy")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    raise ClassroomError("no configurable-http-proxy: run `make classroom` in the course folder (Node's npm installs "
                         "it into classroom/node_modules), or pass --proxy")


def _run(command, stdin=None):
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode:
        raise ClassroomError(f"{' '.join(command[:2])}: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def _account(login, full_name, group, existing_accounts, passwords):
    """Make the Unix account ``login`` (home 0700, in ``group``) with a new password, unless it is there."""
    try:
        pwd.getpwnam(login)
    except KeyError:
        if existing_accounts:
            raise ClassroomError(f"no account {login} on this machine (--existing-accounts uses accounts that "
                                 "exist, with the passwords they have)") from None
        _run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", full_name or login,
              *(["--groups", group] if group else []), login])
        passwords[login] = secrets.token_urlsafe(9)
        _run(["chpasswd"], stdin=f"{login}:{passwords[login]}\n")
    else:
        if group and not existing_accounts and group not in _groups(login):
            raise ClassroomError(f"an account {login} exists and is not the classroom's (not in {group}): rename the "
                                 "student with a Username column, or pass --existing-accounts to use it as it is")
        if group:
            _run(["usermod", "--append", "--groups", group, login])
    os.chmod(pwd.getpwnam(login).pw_dir, 0o700)


def _groups(login):
    return _run(["id", "-nG", login]).split()


def _own(path, login, mode):
    account = pwd.getpwnam(login)
    os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(path, mode)


def _student_home(root, student, course_id, home):
    """The student's nbgrader settings (their language's course) and, the first time, their interface language."""
    from corso.edition import student_nbgrader_config
    account = pwd.getpwnam(student.login)
    user_home = Path(account.pw_dir)
    course = exchange.course_of(course_id, student.language)
    config = (student_nbgrader_config(root).replace(repr(course_id), repr(course))
              + f"c.Exchange.root = {str(home / 'exchange')!r}\n"
              + 'c.ExchangeFactory.submit = "corso_student.SealedSubmit"\n')
    settings = user_home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "translation-extension"
    files = {user_home / "nbgrader_config.py": config}
    if not (settings / "plugin.jupyterlab-settings").exists():
        locale = {"it": "it_IT", "en": "en"}[student.language]
        files[settings / "plugin.jupyterlab-settings"] = json.dumps({"locale": locale}) + "\n"
    for path, text in files.items():
        for folder in [*reversed(path.parent.relative_to(user_home).parents), path.parent.relative_to(user_home)]:
            if not (user_home / folder).exists():
                (user_home / folder).mkdir()
                os.chown(user_home / folder, account.pw_uid, account.pw_gid)
        write_atomic(path, text, mode=0o644)
        os.chown(path, account.pw_uid, account.pw_gid)


def _student_environment(root, home):
    """``home/student-env``: the course's environment hard-linked, with the edition's wheels installed over it
    (made again only when the course's environment or the wheels changed)."""
    from corso.edition import student_wheel
    from corso.language_pack import italian_pack_wheel
    wheels = dict([student_wheel(root, ["en"]), italian_pack_wheel()])
    lock = Path(root) / "requirements" / "course.txt"
    stamp = hashlib.sha256(json.dumps([sys.prefix, hashlib.sha256(lock.read_bytes()).hexdigest(), *(
        [name, hashlib.sha256(data).hexdigest()] for name, data in sorted(wheels.items()))]).encode()).hexdigest()[:12]
    link, made = home / "student-env", home / f"student-env.{stamp}"
    if link.is_symlink() and os.readlink(link) == made.name and (made / "bin" / "python").exists():
        return
    shutil.rmtree(made, ignore_errors=True)
    shutil.copytree(sys.prefix, made, symlinks=True, copy_function=_link_or_copy)
    python = made / "bin" / "python"
    base = _public_python(home)
    if base != Path(sys.base_prefix):  # the venv's interpreter, from the copy students can reach
        interpreter = Path(sys.base_prefix, "bin", Path(os.readlink(python)).name)
        for entry in (made / "bin").iterdir():
            if entry.is_symlink() and Path(os.readlink(entry)).name == interpreter.name:
                entry.unlink()
                entry.symlink_to(base / "bin" / interpreter.name)
        # A new file, never a write into the hard link: the course's own pyvenv.cfg stays as it is.
        write_atomic(made / "pyvenv.cfg", (made / "pyvenv.cfg").read_text().replace(sys.base_prefix, str(base)))
    wheel_folder = home / ".wheels"
    shutil.rmtree(wheel_folder, ignore_errors=True)
    wheel_folder.mkdir()
    for name, data in wheels.items():
        (wheel_folder / name).write_bytes(data)
    # Installing over hard links replaces files, it never writes into them: the course's environment is unchanged.
    _run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "corso"])
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          *(str(wheel_folder / name) for name in sorted(wheels))])
    shutil.rmtree(wheel_folder)
    temporary = home / "student-env.new"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(made.name)
    temporary.replace(link)
    if _hub_pid(home) is None:  # a running hub's servers still run from the old one: removed at a later setup
        for old in home.glob("student-env.*"):
            if old != made and old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)


def _public(path):
    """Whether every user can reach ``path``: every folder above it searchable by others."""
    return all(os.stat(folder).st_mode & 0o001 for folder in Path(path).resolve().parents)


def _public_python(home):
    """The Python installation students run: this one when they can reach it, else (pyenv's in /root, say) a
    hard-linked copy in ``home/python`` (its library then comes from LD_LIBRARY_PATH: the interpreter's RUNPATH
    names the original)."""
    base = Path(sys.base_prefix)
    if _public(base / "bin"):
        return base
    copy = home / "python"
    if not (copy / "bin").is_dir():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy, symlinks=True, copy_function=_link_or_copy)
    return copy


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def _role_configs(home, course_id, grading):
    """The student's and the instructor's Jupyter configuration, over the student edition's.

    Students get nbgrader's Assignments tab (which the laptop edition turns off), opened from the Nbgrader menu;
    the Validate button in its list is nbgrader's own (so its server part is on), the notebook's toolbar has the
    course's. The instructor gets nbgrader's
    tools too, and the formgrader in a browser tab of its own: under JupyterHub >= 4.1 a single-user server sends
    ``Content-Security-Policy: frame-ancestors 'none'``, which blanks the formgrader's panel inside JupyterLab
    (nbgrader #1870); allowing frames again would let any page of the hub's origin frame the instructor's
    server, so the panel is turned off and ``corso classroom status`` prints the formgrader's address, as
    nbgrader's own documentation advises (nbgrader #1947, docs "Formgrader with JupyterHub >= 4.1")."""
    from corso.edition import DISABLED_LAB_EXTENSIONS, DISABLED_SERVER_EXTENSIONS
    roles = {"student": {"nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment",
                         "@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:menu"}}
    roles["instructor"] = set(DISABLED_LAB_EXTENSIONS + DISABLED_SERVER_EXTENSIONS) - {
        "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:validate-assignment",
        "nbgrader.server_extensions.validate_assignment"}
    for role, enabled in roles.items():
        folder = home / "config" / role
        server = {"ServerApp": {"jpserver_extensions": {name: True for name in sorted(enabled)
                                                        if name in DISABLED_SERVER_EXTENSIONS}}}
        page = {"disabledExtensions": {name: False for name in sorted(enabled) if name in DISABLED_LAB_EXTENSIONS}}
        if role == "instructor":
            page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] = True
        files = {folder / "jupyter_server_config.json": server, folder / "labconfig" / "page_config.json": page}
        if role == "instructor":
            files[folder / "nbgrader_config.json"] = {"CourseDirectory": {"root": str(grading), "course_id": course_id}}
        for path, data in files.items():
            write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n", mode=0o644)
        for path in [folder, folder / "labconfig"]:
            os.chmod(path, 0o755)


def _data(home):
    """MNIST for everyone, read-only: hard links of the course's verified files."""
    from corso.data import DATA_DIR, prepare_mnist
    prepare_mnist(DATA_DIR)
    for source in sorted(DATA_DIR.rglob("*")):
        target = home / "data" / source.relative_to(DATA_DIR)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            os.chmod(target, 0o755)
        elif not target.exists():
            os.link(source, target)
            os.chmod(target, 0o644)
    os.chmod(home / "data", 0o755)


def read_classroom(home=HOME):
    path = Path(home) / "classroom.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ClassroomError(f"no classroom in {home}: run `corso classroom setup` first") from None


def url(classroom):
    return f"http://{classroom['ip']}:{classroom['port']}"


def start(home=HOME, wait=60):
    """Start the hub in the background; the address it answers at."""
    classroom, hub = read_classroom(home), Path(home) / "hub"
    if _hub_pid(home):
        return url(classroom)
    log = open(hub / "jupyterhub.log", "ab")  # noqa: SIM115 (the hub's, for as long as it runs)
    command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(hub / "jupyterhub_config.py")]
    process = subprocess.Popen(command, cwd=hub, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    write_atomic(hub / "jupyterhub.pid", f"{process.pid}\n", mode=0o600)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClassroomError(f"the hub stopped at start: see {hub / 'jupyterhub.log'}")
        if _answers(url(classroom) + "/hub/health"):
            return url(classroom)
        time.sleep(0.3)
    raise ClassroomError(f"the hub did not answer within {wait} s: see {hub / 'jupyterhub.log'}")


def _answers(address):
    try:
        with urllib.request.urlopen(address, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _hub_pid(home):
    """The running hub's pid, or None."""
    try:
        pid = int((Path(home) / "hub" / "jupyterhub.pid").read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def stop(home=HOME, wait=30):
    """Stop the hub (it stops the proxy and every student's server); False if it was not running."""
    pid = _hub_pid(home)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    (Path(home) / "hub" / "jupyterhub.pid").unlink(missing_ok=True)
    return True


def _alive(pid):
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not this process's child
        waited = 0
    if waited:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def servers(home=HOME):
    """{login: memory in bytes} of the classroom's users' processes (their JupyterLab servers and kernels): the
    proportional set size, each shared page (the hard-linked libraries) divided among the processes using it."""
    classroom = read_classroom(home)
    users = {pwd.getpwnam(login).pw_uid: login for login in [classroom["instructor"], *classroom["students"]]}
    memory = {}
    for process in Path("/proc").glob("[0-9]*"):
        try:
            login = users.get(process.stat().st_uid)
            if login:
                pss = next(line for line in (process / "smaps_rollup").read_text().splitlines()
                           if line.startswith("Pss:"))
                memory[login] = memory.get(login, 0) + int(pss.split()[1]) * 1024
        except (OSError, StopIteration):  # gone meanwhile, or a kernel thread
            continue
    return memory


def status(home=HOME):
    """Lines: whether the hub runs, where, and each running server's memory."""
    classroom = read_classroom(home)
    pid = _hub_pid(home)
    lines = [f"hub: {'running (pid ' + str(pid) + ')' if pid else 'stopped'} at {url(classroom)}",
             f"students: {len(classroom['students'])}; instructor: {classroom['instructor']}",
             f"formgrader (in a browser tab of its own): {url(classroom)}/user/{classroom['instructor']}/formgrader"]
    running = servers(home)
    lines += [f"  {login}: {size / 2**20:.0f} MiB" for login, size in sorted(running.items())]
    lines.append(f"users with processes: {len(running)}, {sum(running.values()) / 2**20:.0f} MiB in all (PSS)")
    return lines


def release(root, lesson, home=HOME):
    """Put ``lesson``'s release of each language in its course's ``outbound/`` (replacing an earlier one whole)."""
    classroom = read_classroom(home)
    course_id = classroom["course_id"]
    exchange.ensure_courses(Path(home) / "exchange", course_id)
    released = []
    for language in exchange.LANGUAGES:
        source = Path(root) / "release" / language / lesson.id
        outbound = Path(home) / "exchange" / exchange.course_of(course_id, language) / "outbound"
        fresh, old = outbound / f".{lesson.id}.new", outbound / f".{lesson.id}.old"
        for leftover in (fresh, old):
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(source, fresh)
        for path in [fresh, *fresh.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        target = outbound / lesson.id
        if target.exists():
            target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        released.append(target)
    return released


def collect(home, lesson, workdir):
    """(the latest complete submissions in the exchange, the folder of their notebooks for ``corso grade``,
    the exchange.Collected that ``corso grade`` adds to them)."""
    classroom = read_classroom(home)
    latest, notes, ignored = exchange.latest_submissions(Path(home) / "exchange", classroom["course_id"], lesson,
                                                         set(classroom["students"]))
    ignored += [f"{student}: {line}" for student, lines in sorted(notes.items()) if student not in latest
                for line in lines]
    return (latest, exchange.gather(latest, lesson, Path(workdir) / ".exchange"),
            exchange.Collected(notes, ignored, classroom["students"]))


def hand_back(home, lesson, workdir, latest):
    """Release the feedback pages to the exchange, and give the grading folder to the instructor (the
    formgrader's course); the students whose page went."""
    released = exchange.release_feedback(latest, lesson, workdir, Path(home) / "exchange")
    account = pwd.getpwnam(read_classroom(home)["instructor"])
    for path in [Path(workdir), *Path(workdir).rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    return released


HUB_CONFIG = '''"""The classroom's JupyterHub (written by `corso classroom setup`; `corso classroom start` runs it)."""

import json
from pathlib import Path

HOME = Path(__file__).resolve().parent.parent
classroom = json.loads((HOME / "classroom.json").read_text())
port = classroom["port"]
c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.JupyterHub.bind_url = f"http://{classroom['ip']}:{port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{port + 2}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 1}"
c.ConfigurableHTTPProxy.command = [classroom["proxy"]]
c.JupyterHub.db_url = f"sqlite:///{HOME / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HOME / "hub" / "jupyterhub_cookie_secret")
# PAM: the accounts' own passwords; only the classroom's accounts may log in.
c.Authenticator.allowed_users = set(classroom["students"]) | {classroom["instructor"]}
c.Authenticator.admin_users = {classroom["instructor"]}
# Each JupyterLab runs as its student's Unix user (the local spawner), from the student environment, under
# process limits it cannot raise (prlimit).
c.Spawner.cmd = ["prlimit", f"--fsize={classroom['file_limit']}", f"--nproc={classroom['process_limit']}", "--",
                 str(HOME / "student-env" / "bin" / "python"), "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": lambda spawner: str(
        HOME / "config" / ("instructor" if spawner.user.name == classroom["instructor"] else "student")),
    "CORSO_DATA_DIR": str(HOME / "data"),
    # One thread for each student's PyTorch (and NumPy): with one thread a core each, a few kernels running at
    # once oversubscribe the machine and all of them slow down (measured: README, "Classroom").
    "OMP_NUM_THREADS": "1",
    **({"LD_LIBRARY_PATH": classroom["library_path"]} if classroom["library_path"] else {}),
}
c.Spawner.http_timeout = 120
'''
