"""The student edition: what students receive, made from the course by one command.

    make_edition(root, "it", target)   ->  target/<course>-it/  and  target/<course>-it.zip

It holds the release notebooks of the language (``it``, ``en``, or ``both``), the vendored data, a README
in the students' language, a student ``nbgrader_config.py`` with only what the Validate button needs, and
the minimal environment: ``requirements.txt`` (pinned and hashed; the students' lock
``requirements/student.txt``, one resolution for Windows, macOS and Linux, without the instructor-only
packages), ``requirements-cpu.txt`` (the same without torch, torchvision and the CUDA libraries, for Linux
students who take PyTorch's CPU build from its own index), for an edition with Italian the course's build of
the Italian language pack (``corso.language_pack``: the upstream pack with the translations it lacks, in place
of the upstream one) and one small wheel, ``corso-student``, which brings

- ``corso.checks``, ``corso.data`` (and ``corso.files``), the part of the course's package the notebooks
  import, and ``corso.check`` (with ``corso.exercises``, ``corso.running``, ``corso.language``), the
  student's check: the ``corso-check NOTEBOOK`` command and what the Validate button runs;
- the student-only JupyterLab, the way nbgrader documents it (nbgrader 0.9.6
  ``docs/source/user_guide/installation.rst``, "Disabling extensions"): the lab extensions
  ``@jupyter/nbgrader:formgrader``, ``:create-assignment``, ``:course-list``, ``:assignment-list`` (and
  ``:menu``, the "Nbgrader" menu that would otherwise remain) and the
  server extensions ``nbgrader.server_extensions.formgrader``, ``.course_list``, ``.assignment_list``
  disabled, at the environment's level (``sys_prefix``), through the ``.d`` config folders that
  ``jupyter labextension disable --level=sys_prefix`` / ``jupyter server extension disable --sys-prefix``
  also write to (``etc/jupyter/labconfig/page_config.d``, ``etc/jupyter/jupyter_server_config.d``), so it
  holds however the student starts JupyterLab from that environment;
- the Validate button: ``corso-validate``, a lab extension (source ``student/validate/``, built by
  ``tools/build-validate-button`` into ``student/corso_student/labextension/``) that replaces nbgrader's
  (``@jupyter/nbgrader:validate-assignment``), and ``corso_student``, the server extension that answers it
  with ``corso.check``'s list, exercise by exercise, in the notebook's language;
- for an edition with Italian, JupyterLab's interface in Italian by default (``overrides.d``).

No solution, hidden test, executed solution or source notebook goes in (tests/test_edition.py scans every
byte, inside the zips too). Writing is idempotent: the same course gives the same bytes (sorted zip
entries; each entry dated by the last commit of what it comes from, a lesson's notebook by its lesson's source,
the rest by the course's), unchanged files are not rewritten, and files that are no longer part of the
edition are removed.
"""

import hashlib
import json
import re
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from corso.build import load_config
from corso.files import write_atomic
from corso.language_pack import italian_pack_wheel
from corso.lessons import find_lessons
from corso.wheel import deterministic_zip, make_wheel

HERE = Path(__file__).resolve().parent
STUDENT = HERE / "student"
EDITION_LANGUAGES = {"it": ("it",), "en": ("en",), "both": ("it", "en")}
WHEEL_NAME = "corso_student"
# The course's modules in the student's wheel: what the notebooks import, and the student's check.
STUDENT_MODULES = ("checks.py", "data.py", "files.py", "check.py", "exercises.py", "running.py", "language.py")
VALIDATE_SOURCE = STUDENT / "validate"
VALIDATE_BUILD = STUDENT / WHEEL_NAME / "labextension"

# Instructor-only packages left out of the students' environment: the notebook test runner (nbval), the
# gradebook's PostgreSQL driver, the grading progress bar, the cluster's Dask and the similarity report's
# copydetect. Everything else in the course's runtime is
# what the notebooks import or what JupyterLab and the Validate button need (nbgrader requires `notebook`).
INSTRUCTOR_ONLY = {"copydetect", "distributed", "jupyterhub", "nbval", "psycopg", "psycopg-binary", "psycopg-c", "tqdm"}
# The upstream Italian language pack: an Italian edition ships the course's build of it instead
# (corso.language_pack: the same pack with the translations it lacks), an English one neither.
ITALIAN_PACK = {"jupyterlab-language-pack-it-it"}
LEFT_OUT = INSTRUCTOR_ONLY | ITALIAN_PACK
# Left out of requirements-cpu.txt: on Linux the README installs them first from PyTorch's CPU index.
TORCH = {"torch", "torchvision"}

# nbgrader 0.9.6 docs/source/user_guide/installation.rst, "Disabling extensions": the exact names; plus
# "@jupyter/nbgrader:menu", which the docs do not list: that plugin of nbgrader's lab extension adds an
# "Nbgrader" menu (Assignment List, Course List, Formgrader, Create assignment) to every JupyterLab, even
# with the tools themselves disabled (found by tests/test_edition_browser.py).
# nbgrader's Validate button gives way to the course's (corso-validate).
DISABLED_LAB_EXTENSIONS = ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                           "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                           "@jupyter/nbgrader:menu", "@jupyter/nbgrader:validate-assignment"]
DISABLED_SERVER_EXTENSIONS = ["nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.course_list",
                              "nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.validate_assignment"]

TITLES = {"it": "Introduzione a PyTorch: le lezioni", "en": "An introduction to PyTorch: the lessons"}


class EditionError(Exception):
    """The edition cannot be made (an unknown language, a lesson not built)."""


@dataclass(frozen=True)
class Edition:
    folder: Path
    zip: Path
    written: tuple  # paths (re)written by this run: empty when nothing changed


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(line):
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return _normalize(match.group(1)) if match else None


def student_pins(pyproject_text):
    """The pinned runtime from pyproject.toml's dependencies, without the instructor-only packages (and the
    upstream Italian pack)."""
    dependencies = tomllib.loads(pyproject_text)["project"]["dependencies"]
    return [dep for dep in dependencies if _requirement_name(dep) not in LEFT_OUT]


def _prune(blocks, removed, eligible=lambda block: True):
    """Add to ``removed`` every eligible block that only removed packages need (its ``# via`` names)."""
    while True:
        more = {b["name"] for b in blocks
                if b["name"] not in removed and b["via"] and b["via"] <= removed and eligible(b)}
        if not more:
            return removed
        removed |= more


def _linux_only(block):
    return "sys_platform == 'linux'" in block["lines"][0]


def student_lock(lock_text, cpu=False):
    """A ``--generate-hashes`` lock (pip-compile's or uv's) without the instructor-only packages, and without
    what only they needed (a package stays while one package that is kept lists it in its ``# via`` lines).

    ``cpu``: also without torch and torchvision, which Linux students install from PyTorch's CPU index, and
    without the Linux-only packages that only they need (CUDA: nvidia-*, triton, cuda-*). What the CPU build
    needs too on every platform (sympy, networkx, ...) stays, pinned and hashed."""
    blocks, header, current = [], [], None
    for line in lock_text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            current = {"name": _requirement_name(line), "lines": [line], "via": set()}
            blocks.append(current)
        elif current is None:
            header.append(line)
        else:
            current["lines"].append(line)
            # "# via nbgrader", or "# via" alone followed by "#   nbgrader" lines (pip-compile's and uv's two
            # forms); uv's "#   -c requirements/course.txt" (the constraints file) names no package.
            via = re.fullmatch(r"\s*#\s+(?:via\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s+\(.*\))?\s*", line)
            if via and line.strip() != "# via":
                current["via"].add(_normalize(via.group(1)))
    removed = _prune(blocks, set(LEFT_OUT))
    if cpu:
        removed = _prune(blocks, removed | TORCH, _linux_only)
    kept = [line for b in blocks if b["name"] not in removed for line in b["lines"]]
    return "\n".join(header + kept) + "\n"


def _jupyter_config(languages):
    """{path under the environment's prefix: bytes}: the student-only JupyterLab."""
    server = {"ServerApp": {"jpserver_extensions": {
        **{name: False for name in DISABLED_SERVER_EXTENSIONS}, WHEEL_NAME: True}}}
    page = {"disabledExtensions": {name: True for name in DISABLED_LAB_EXTENSIONS}}
    overrides = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
    if languages[0] == "it":
        overrides["@jupyterlab/translation-extension:plugin"] = {"locale": "it_IT"}
    # "zz-" sorts after nbgrader.json: the .d files are merged in name order, the last one wins.
    files = {"etc/jupyter/jupyter_server_config.d/zz-corso-student.json": server,
             "etc/jupyter/labconfig/page_config.d/zz-corso-student.json": page,
             "share/jupyter/lab/settings/overrides.d/zz-corso-student.json": overrides}
    return {path: (json.dumps(data, indent=2, sort_keys=True) + "\n").encode() for path, data in files.items()}


def validate_button_source_hash():
    """The hash of the Validate button's source, which its build records (``tools/build-validate-button``)."""
    digest = hashlib.sha256()
    for path in sorted(VALIDATE_SOURCE.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _validate_button():
    """{path under the environment's prefix: bytes}: the built Validate button, as a prebuilt lab extension."""
    return {f"share/jupyter/labextensions/corso-validate/{path.relative_to(VALIDATE_BUILD).as_posix()}":
            path.read_bytes() for path in sorted(VALIDATE_BUILD.rglob("*")) if path.is_file()
            and path.name != "source.sha256"}


def student_wheel(root, languages):
    """(file name, bytes) of the ``corso-student`` wheel for this edition."""
    package = {"corso/__init__.py": b'"""The part of the course\'s package that students use: the notebooks\' '
                                    b'imports and the check."""\n'}
    package.update({f"corso/{name}": (HERE / name).read_bytes() for name in STUDENT_MODULES})
    package[f"{WHEEL_NAME}/__init__.py"] = (STUDENT / WHEEL_NAME / "__init__.py").read_bytes()
    data = {**_jupyter_config(languages), **_validate_button()}
    version = "1.0+" + hashlib.sha256(json.dumps(
        {name: hashlib.sha256(content).hexdigest() for name, content in {**package, **data}.items()},
        sort_keys=True).encode()).hexdigest()[:12]
    dist = f"{WHEEL_NAME}-{version}"
    files = dict(package)
    files.update({f"{dist}.data/data/{path}": content for path, content in data.items()})
    files[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: corso-student\nVersion: {version}\n"
        "Summary: The course's student environment: corso.data, a student-only JupyterLab, a bilingual Validate\n"
        "Requires-Python: >=3.11\n").encode()
    files[f"{dist}.dist-info/entry_points.txt"] = b"[console_scripts]\ncorso-check = corso.check:main\n"
    return make_wheel(dist, files, "corso.edition")


def requirements(root, wheels, cpu=False):
    """requirements.txt (``cpu``: requirements-cpu.txt): the students' lock (hashed) when
    ``requirements/student.txt`` exists, else the exact pins; then the edition's own wheels ({file name:
    bytes}), each with its hash."""
    lock = Path(root) / "requirements" / "student.txt"
    note = " (without torch and torchvision: install them first, from PyTorch's CPU index)" if cpu else ""
    if lock.is_file():
        text = student_lock(lock.read_text(), cpu=cpu)
        own = "".join(f"./wheels/{name} \\\n    --hash=sha256:{hashlib.sha256(data).hexdigest()}\n"
                      for name, data in sorted(wheels.items()))
        return (f"# The course's locked runtime for students{note} (from requirements/student.txt, by corso edition)\n"
                f"{text}{own}")
    pins = [pin for pin in student_pins((Path(root) / "pyproject.toml").read_text())
            if not (cpu and _requirement_name(pin) in TORCH)]
    return (f"# The course's pinned runtime for students{note} (from pyproject.toml, generated by corso edition)\n"
            + "".join(f"{pin}\n" for pin in pins) + "".join(f"./wheels/{name}\n" for name in sorted(wheels)))


def student_nbgrader_config(root):
    """What nbgrader's Validator reads: the course id and the per-cell limits; no import of the course."""
    config = load_config(root)
    lines = ['"""nbgrader settings for the Validate button (the student edition; generated by corso edition)."""',
             "", "c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)", ""]
    lines.append(f"c.CourseDirectory.course_id = {config.CourseDirectory.course_id!r}")
    for section in ("Execute", "Validator"):
        for key, value in sorted(config.get(section, {}).items()):
            lines.append(f"c.{section}.{key} = {value!r}")
    return "\n".join(lines) + "\n"


def readme(languages, lessons):
    folders = ", ".join(f"`{lesson.id}/`" for lesson in lessons)
    first = f"{lessons[0].id}/{lessons[0].slug}.ipynb"
    parts = []
    for language in languages:
        prefix = f"{language}/" if len(languages) > 1 else ""
        text = (STUDENT / f"README.{language}.md").read_text(encoding="utf-8")
        parts.append(text.format(title=TITLES[language],
                                 lessons=", ".join(f"`{prefix}{lesson.id}`" for lesson in lessons),
                                 first=prefix + first, folders=f"`{prefix}NN-…/`" if prefix else folders))
    return "\n---\n\n".join(parts)


def edition_files(root, language):
    """{relative path: bytes} of the edition's folder."""
    if language not in EDITION_LANGUAGES:
        raise EditionError(f"unknown language {language!r}: it, en or both")
    root = Path(root)
    languages = EDITION_LANGUAGES[language]
    lessons = find_lessons(root)
    files = {}
    for lesson in lessons:
        for lang in languages:
            release = lesson.release(lang)
            if not release.is_file():
                raise EditionError(f"{release} is missing: build the course first (corso build)")
            prefix = f"{lang}/" if len(languages) > 1 else ""
            files[f"{prefix}{lesson.id}/{release.name}"] = release.read_bytes()
    files["data/README.md"] = (root / "data" / "README.md").read_bytes()
    for archive in sorted((root / "data" / "mnist").glob("*.gz")):
        files[f"data/mnist/{archive.name}"] = archive.read_bytes()
    wheels = dict([student_wheel(root, languages)] + ([italian_pack_wheel()] if "it" in languages else []))
    files.update({f"wheels/{name}": data for name, data in wheels.items()})
    files["requirements.txt"] = requirements(root, wheels).encode()
    files["requirements-cpu.txt"] = requirements(root, wheels, cpu=True).encode()
    files["nbgrader_config.py"] = student_nbgrader_config(root).encode()
    files["README.md"] = readme(languages, lessons).encode()
    return files


def _write_if_changed(path, content, written):
    if not path.is_file() or path.read_bytes() != content:
        write_atomic(path, content)
        written.append(path)


def make_edition(root, language, target):
    """Make (or bring up to date) ``target/<course id>-<language>/`` and its zip; return what was written."""
    root, target = Path(root), Path(target)
    files = edition_files(root, language)
    name = f"{load_config(root).CourseDirectory.course_id}-{language}"
    folder, archive = target / name, target / f"{name}.zip"
    written = []
    for relative, content in sorted(files.items()):
        _write_if_changed(folder / relative, content, written)
    for path in sorted(folder.rglob("*"), reverse=True):  # what an earlier edition had and this one has not
        relative = path.relative_to(folder)
        if relative.parts[0].startswith("."):  # e.g. a .venv made by trying the edition out: not ours
            continue
        if path.is_file() and relative.as_posix() not in files:
            path.unlink()
            written.append(path)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    times = {f"{name}/{rel}": last_change(root, _origin(rel)) for rel in files}
    _write_if_changed(archive, deterministic_zip({f"{name}/{rel}": data for rel, data in files.items()}, times),
                      written)
    return Edition(folder, archive, tuple(written))


def _origin(relative):
    """What an edition file comes from: a lesson's notebook from its lesson's source folder, the rest from the
    course as a whole."""
    lesson = next((part for part in Path(relative).parts if re.fullmatch(r"\d\d-[a-z0-9-]+", part)), None)
    return f"source/{lesson}" if lesson else "."


def last_change(root, path):
    """When ``path`` (in the course ``root``) last changed, as a zip entry's (UTC) date and time: its last
    commit's time, so that a commit always gives the same zip; outside a git checkout, its newest file's (for
    the whole course, the newest of ``source/``: not a virtual environment or a grading folder)."""
    try:
        stamp = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct", "--", path],
                               capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        stamp = ""
    if not stamp:
        target = Path(root, "source" if path == "." else path)
        stamp = max(file.stat().st_mtime for file in target.rglob("*") if file.is_file()
                    and not any(part.startswith(".") for part in file.relative_to(target).parts))
    return time.gmtime(max(int(float(stamp)), 315532800))[:6]  # a zip cannot date before 1980
