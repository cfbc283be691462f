"""The student edition: nothing secret in it (every byte, zips inside zips), the same bytes every time, and a
student who follows its README can install it and validate a lesson."""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from project import ROOT
from submissions import filled_release, secret_lines

from corso import check, edition
from corso.exercises import AWAITING, FAILED, KERNEL_DIED, LABELS, NOT_ANSWERED, PASSED, TIMED_OUT, exercises
from corso.lessons import find_lessons, read_source

LESSONS = find_lessons(ROOT)
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    target = tmp_path_factory.mktemp("editions")
    return {language: edition.make_edition(ROOT, language, target) for language in ("it", "en", "both")}


# ---------------------------------------------------------------------------------------------------
# Every file, as text lines: notebooks and other JSON by their strings, zips by their members, recursively.

def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def texts(name, data):
    """(where, text) for every readable text in a file, looking inside zips (and zips in zips)."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from texts(f"{name}!{member}", archive.read(member))
        return
    if name.endswith(".gz"):
        return  # the MNIST archives: images, checked by md5 elsewhere
    text = data.decode("utf-8", errors="replace")
    yield name, text
    try:
        yield name, "\n".join(_strings(json.loads(text)))  # a notebook's cell source, JSON-escaped in the file
    except ValueError:
        pass


def all_files(made):
    for path in sorted(made.folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(made.folder).as_posix(), path.read_bytes()
    yield made.zip.name, made.zip.read_bytes()


SECRETS = secret_lines(*(read_source(lesson) for lesson in LESSONS))


@pytest.mark.parametrize("language", ["it", "en", "both"])
def test_edition_holds_no_solution_no_hidden_test_no_executed_solution(editions, language):
    made = editions[language]
    assert SECRETS, "the course has solutions and hidden tests to hide"
    forbidden = {path.read_bytes(): path for folder in ("source", "solutions", "notebooks")
                 for path in (ROOT / folder).rglob("*.ipynb")}
    scanned = 0
    for name, data in all_files(made):
        assert data not in forbidden, f"{name} is {forbidden.get(data)}"
        for where, text in texts(name, data):
            scanned += 1
            lines = {line.strip() for line in text.splitlines()}
            assert not lines & SECRETS, f"{where} reveals {sorted(lines & SECRETS)[:3]}"
            assert not any(marker in text for marker in MARKERS), f"{where} keeps a solution or hidden-test marker"
            assert '"output_type"' not in text, f"{where} holds executed outputs"
    assert scanned > 20


@pytest.mark.parametrize("language, expected", [
    ("it", ["01-tensors/tensors.ipynb", "04-mnist-mlp/mnist-mlp.ipynb"]),
    ("en", ["01-tensors/tensors.ipynb"]),
    ("both", ["it/01-tensors/tensors.ipynb", "en/04-mnist-mlp/mnist-mlp.ipynb"]),
])
def test_edition_contents(editions, language, expected):
    made = editions[language]
    names = {path.relative_to(made.folder).as_posix() for path in made.folder.rglob("*") if path.is_file()}
    for name in expected + ["README.md", "nbgrader_config.py", "requirements.txt", "requirements-cpu.txt",
                            "data/README.md",
                            "data/mnist/train-images-idx3-ubyte.gz", "data/mnist/t10k-labels-idx1-ubyte.gz"]:
        assert name in names, f"{name} missing from the {language} edition"
    assert not any(name.startswith(("data/MNIST", "source", "solutions", "notebooks")) for name in names)
    languages = edition.EDITION_LANGUAGES[language]
    for lesson in LESSONS:
        for lang in languages:
            prefix = f"{lang}/" if len(languages) > 1 else ""
            shipped = made.folder / prefix / lesson.id / lesson.release(lang).name
            assert shipped.read_bytes() == lesson.release(lang).read_bytes()
    # The zip holds exactly the folder, under the edition's name.
    with zipfile.ZipFile(made.zip) as archive:
        assert sorted(archive.namelist()) == sorted(f"{made.folder.name}/{name}" for name in names)
    config = (made.folder / "nbgrader_config.py").read_text()
    assert "import" not in config and "corso" not in config.replace("corso edition", "")
    assert "c.Execute.timeout = 120" in config
    requirements = (made.folder / "requirements.txt").read_text()
    for tool in ("nbval", "pytest", "playwright", "psycopg", "tqdm"):
        assert not re.search(rf"^{tool}\b", requirements, re.M | re.I), f"{tool} is not for students"
    assert "jupyterlab-language-pack-it-it==" not in requirements  # the upstream pack: replaced or left out
    pack = re.search(r"^\./wheels/(jupyterlab_language_pack_it_it-4\.5\.post3\+corso\.\w+-py3-none-any\.whl)",
                     requirements, re.M)
    assert bool(pack) == ("it" in languages), requirements
    if pack:  # the course's Italian pack, hashed like every other line
        digest = hashlib.sha256((made.folder / "wheels" / pack.group(1)).read_bytes()).hexdigest()
        assert f"{pack.group(0)} \\\n    --hash=sha256:{digest}" in requirements


def test_readme_speaks_the_students_language(editions):
    italian = (editions["it"].folder / "README.md").read_text()
    english = (editions["en"].folder / "README.md").read_text()
    both = (editions["both"].folder / "README.md").read_text()
    for words in ("Installazione", "Consegnare", "python3 -m venv .venv", "pip install -r requirements.txt",
                  ".venv/bin/jupyter lab", "Verifica", ".venv/bin/corso-check"):
        assert words in italian
    for language, text in (("it", italian), ("en", english)):  # the Validate dialog's words, as it says them
        words = {LABELS[language][status] for status in (PASSED, FAILED, NOT_ANSWERED, TIMED_OUT, KERNEL_DIED,
                                                         AWAITING)}
        assert not [word for word in words if f"*{word}*" not in text], text
    assert "Install (once)" not in italian and "Hand in" in english and "Consegnare" not in english
    assert "Installazione" in both and "Hand in" in both and "it/01-tensors" in both
    for text in (italian, english, both):  # code spans close where they open (no stray backticks)
        prose = [line for line in text.splitlines() if not line.startswith("```")]
        assert not [line for line in prose if "``" in line or line.count("`") % 2], text
    assert "- `01-tensors/`, `02-autograd/`" in italian and "- `it/NN-…/`" in both


def test_student_jupyterlab_configuration(editions):
    """The wheel turns off nbgrader's instructor tools (with the exact names nbgrader's docs give) and its
    Validate button, and brings the course's: the built lab extension, its server side, the terminal check."""
    made = editions["it"]
    [wheel] = (made.folder / "wheels").glob("corso_student-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        data = {name.split(".data/data/", 1)[1]: archive.read(name)
                for name in archive.namelist() if ".data/data/" in name}
        record = archive.read(next(n for n in archive.namelist() if n.endswith("dist-info/RECORD"))).decode()
        assert all(name in record for name in archive.namelist())
        scripts = archive.read(next(n for n in archive.namelist() if n.endswith("dist-info/entry_points.txt")))
        modules = {name for name in archive.namelist() if name.endswith(".py")}
    config = {path: json.loads(content) for path, content in data.items()
              if path.startswith(("etc/", "share/jupyter/lab/"))}
    server = config["etc/jupyter/jupyter_server_config.d/zz-corso-student.json"]["ServerApp"]["jpserver_extensions"]
    assert server == {"nbgrader.server_extensions.assignment_list": False,
                      "nbgrader.server_extensions.course_list": False,
                      "nbgrader.server_extensions.formgrader": False,
                      "nbgrader.server_extensions.validate_assignment": False, "corso_student": True}
    page = config["etc/jupyter/labconfig/page_config.d/zz-corso-student.json"]["disabledExtensions"]
    assert set(page) == {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                         "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                         "@jupyter/nbgrader:menu", "@jupyter/nbgrader:validate-assignment"}
    overrides = config["share/jupyter/lab/settings/overrides.d/zz-corso-student.json"]
    assert overrides["@jupyterlab/translation-extension:plugin"] == {"locale": "it_IT"}
    built = {path.relative_to(edition.VALIDATE_BUILD).as_posix(): path.read_bytes()
             for path in edition.VALIDATE_BUILD.rglob("*") if path.is_file() and path.name != "source.sha256"}
    shipped = {path.split("labextensions/corso-validate/", 1)[1]: content for path, content in data.items()
               if "labextensions/corso-validate/" in path}
    assert shipped == built and json.loads(shipped["package.json"])["name"] == "corso-validate"
    assert b"corso-check = corso.check:main" in scripts
    assert {f"corso/{name}" for name in edition.STUDENT_MODULES} <= modules


def test_zip_entries_are_dated_by_the_last_commit_of_what_they_come_from(editions):
    def committed(path):  # git's own answer, as a zip entry keeps it: UTC, to the even second
        stamp = int(subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct", "--", path],
                                   capture_output=True, text=True, check=True).stdout.strip())
        return time.gmtime(stamp - stamp % 2)[:6]
    with zipfile.ZipFile(editions["both"].zip) as archive:
        dates = {info.filename.split("/", 1)[1]: info.date_time for info in archive.infolist()}
    for lesson in LESSONS:
        for language in ("it", "en"):
            assert dates[f"{language}/{lesson.id}/{lesson.slug}.ipynb"] == committed(f"source/{lesson.id}")
    assert dates["README.md"] == dates["requirements.txt"] == committed(".")  # the course's last commit
    assert min(dates.values()) > (2020, 1, 1, 0, 0, 0)  # real dates, not the zip format's 1980


def test_regenerating_is_idempotent(editions, tmp_path):
    made = editions["both"]
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in made.folder.rglob("*") if path.is_file()}
    zip_before = made.zip.read_bytes()
    again = edition.make_edition(ROOT, "both", made.folder.parent)
    assert again.written == ()
    after = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in made.folder.rglob("*") if path.is_file()}
    assert after == before and made.zip.read_bytes() == zip_before
    # A fresh edition elsewhere has the same bytes: nothing depends on time or on the folder.
    elsewhere = edition.make_edition(ROOT, "both", tmp_path)
    assert elsewhere.zip.read_bytes() == zip_before
    # A file an older edition had is removed; a student's own .venv beside it is left alone.
    (elsewhere.folder / "05-old").mkdir()
    (elsewhere.folder / "05-old" / "old.ipynb").write_text("{}")
    (elsewhere.folder / ".venv").mkdir()
    (elsewhere.folder / ".venv" / "keep").write_text("")
    third = edition.make_edition(ROOT, "both", tmp_path)
    assert [p.name for p in third.written] == ["old.ipynb"]
    assert not (elsewhere.folder / "05-old").exists() and (elsewhere.folder / ".venv" / "keep").exists()


def test_requirements_from_the_lock_when_there_is_one():
    lock = """#
# This file is autogenerated by pip-compile with Python 3.11
#
jinja2==3.1.6 \\
    --hash=sha256:aaaa
    # via nbgrader
nbgrader==0.9.6 \\
    --hash=sha256:bbbb
    # via corso (pyproject.toml)
nbval==0.11.0 \\
    --hash=sha256:cccc
    # via corso (pyproject.toml)
pytest==9.2.0 \\
    --hash=sha256:dddd
    # via nbval
iniconfig==2.1.0 \\
    --hash=sha256:eeee
    # via pytest
packaging==25.0 \\
    --hash=sha256:ffff
    # via
    #   pytest
    #   nbgrader
psycopg-binary==3.3.9 \\
    --hash=sha256:1111
    # via psycopg
jupyterlab-language-pack-it-it==4.5.post3 \\
    --hash=sha256:2222
    # via corso (pyproject.toml)
distributed==2026.8.0 \\
    --hash=sha256:3333
    # via corso (pyproject.toml)
cloudpickle==3.1.2 \\
    --hash=sha256:4444
    # via
    #   distributed
    #   nbval
"""
    kept = edition.student_lock(lock)
    assert lock_names(kept) == {"jinja2", "nbgrader", "packaging"}  # the Italian pack: the course's own build
    assert "--hash=sha256:bbbb" in kept and "pip-compile" in kept


def lock_names(text):
    return {edition._requirement_name(line) for line in text.splitlines() if line and not line[0].isspace()
            and line[0] not in "#."}  # not the edition's own wheel (./wheels/...)


def test_student_lock_reads_uvs_universal_lock():
    """uv's annotations name the constraints file among the `# via` lines; its pins carry markers."""
    lock = """# This file was autogenerated by uv via the following command:
#    make lock
colorama==0.4.6 ; sys_platform == 'win32' \\
    --hash=sha256:aaaa
    # via
    #   -c requirements/course.txt
    #   ipython
ipython==9.18.1 \\
    --hash=sha256:bbbb
    # via
    #   -c requirements/course.txt
    #   corso (pyproject.toml)
tqdm==4.70.1 \\
    --hash=sha256:cccc
    # via
    #   -c requirements/course.txt
    #   corso (pyproject.toml)
torch==2.14.1 \\
    --hash=sha256:dddd
    # via
    #   -c requirements/course.txt
    #   corso (pyproject.toml)
    #   torchviz
torchviz==0.0.3 \\
    --hash=sha256:eeee
    # via corso (pyproject.toml)
nvidia-cublas==13.1.1.3 ; sys_platform == 'linux' \\
    --hash=sha256:ffff
    # via
    #   -c requirements/course.txt
    #   torch
sympy==1.14.0 \\
    --hash=sha256:1111
    # via
    #   -c requirements/course.txt
    #   torch
colorama-for-tqdm==1.0 ; sys_platform == 'win32' \\
    --hash=sha256:2222
    # via tqdm
"""
    assert lock_names(edition.student_lock(lock)) == {"colorama", "ipython", "torch", "torchviz",
                                                              "nvidia-cublas", "sympy"}
    cpu = edition.student_lock(lock, cpu=True)
    assert lock_names(cpu) == {"colorama", "ipython", "torchviz", "sympy"}  # sympy: the CPU build needs it too
    assert "colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:aaaa" in cpu


def test_cpu_requirements_are_the_lock_without_torch_and_cuda(editions):
    """requirements-cpu.txt: requirements.txt's pins and hashes, less torch, torchvision and the CUDA stack."""
    folder = editions["it"].folder
    full, cpu = ((folder / name).read_text() for name in ("requirements.txt", "requirements-cpu.txt"))
    left_out = lock_names(full) - lock_names(cpu)
    assert {"torch", "torchvision"} <= left_out and lock_names(cpu) <= lock_names(full)
    assert not [name for name in lock_names(cpu) if re.match(r"(torch$|torchvision|nvidia-|triton|cuda-)", name)]
    if (ROOT / "requirements" / "student.txt").is_file():
        assert left_out - {"torch", "torchvision"}, "the CUDA libraries are in the lock"
        assert all(re.match(r"(nvidia-|triton$|cuda-)", name) for name in left_out - {"torch", "torchvision"})
        blocks = re.split(r"\n(?=\S)", cpu)  # every pin kept as in requirements.txt, hashes and all
        assert all(block in full for block in blocks[1:]) and cpu.count("--hash=sha256:") > 200


# ---------------------------------------------------------------------------------------------------
# A student installs the edition as its README says, and validates.

def site_packages():
    return Path(sysconfig.get_paths()["purelib"])


def run(command, cwd, env, timeout=600):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def install_edition(made, home):
    """Unzip an edition in ``home`` and install it with its README's two commands; (folder, python, env).

    The README's `python3 -m venv .venv` would make pip download PyTorch (GBs) on this offline machine, so
    the new environment also sees this project's environment, read-only: a `.pth` file adds its
    site-packages folder to the new environment's path (`--system-site-packages` would not do: a venv made
    from a venv's python points at the base interpreter, not at the first venv). The README's second
    command then runs as written (plus --no-index: no network): every pinned package is found already
    installed, and pip installs the edition's own wheel into the new environment. The project's `corso`
    (an editable install, through a finder that the `.pth` path does not run) stays out of sight: the
    notebooks get the edition's `corso.data`. What pip would also have put in the environment's prefix
    (``etc/jupyter``, ``share/jupyter``: JupyterLab's assets, nbgrader's extension switches and lab
    extension) is copied there, so the edition's switches are checked against nbgrader's own.
    """
    with zipfile.ZipFile(made.zip) as archive:
        archive.extractall(home)
    folder = home / made.folder.name
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "CORSO_", "VIRTUAL_ENV"))}
    env.update(OMP_NUM_THREADS="1", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PATH=os.defpath, HOME=str(home))
    code, out = run([sys.executable, "-m", "venv", ".venv"], folder, env)
    assert code == 0, out
    python = folder / ".venv" / "bin" / "python"
    student_site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            folder, env)[1].strip())
    (student_site / "zz-course-environment.pth").write_text(f"{site_packages()}\n")
    # The venv's own old setuptools would hide the project's newer one, which torch requires (a student's
    # pip downloads it): remove it so the one already installed is seen.
    code, out = run([str(python), "-m", "pip", "uninstall", "-y", "setuptools"], folder, env)
    assert code == 0, out
    for relative in ("etc/jupyter", "share/jupyter"):  # JupyterLab's assets, nbgrader's switches and extension
        shutil.copytree(Path(sys.prefix) / relative, folder / ".venv" / relative, dirs_exist_ok=True)
    code, out = run([str(folder / ".venv" / "bin" / "pip"), "install", "-r", "requirements.txt"], folder, env)
    assert code == 0, out
    assert "Successfully installed corso-student" in out, out
    return folder, python, env


def test_cpu_requirements_install_over_pytorchs_cpu_build(editions, tmp_path):
    """The README's Linux CPU way: torch 2.14.1+cpu from PyTorch's index first (unreachable here: a `+cpu`
    distribution record stands in for it, in front of the course's torch), then requirements-cpu.txt with
    hashes; pip takes 2.14.1+cpu for torchviz's torch and for ==2.14.1 (PEP 440: a local label is ignored)."""
    made = editions["it"]
    folder = tmp_path / made.folder.name
    shutil.copytree(made.folder, folder)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", HOME=str(tmp_path))
    code, out = run([sys.executable, "-m", "venv", ".venv"], folder, env)
    assert code == 0, out
    python = folder / ".venv" / "bin" / "python"
    student_site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            folder, env)[1].strip())
    (student_site / "zz-course-environment.pth").write_text(f"{site_packages()}\n")
    record = student_site / "torch-2.14.1+cpu.dist-info"
    record.mkdir()
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.14.1+cpu\n")
    (record / "RECORD").write_text("")
    code, out = run([str(python), "-m", "pip", "uninstall", "-y", "setuptools"], folder, env)
    assert code == 0, out
    code, out = run([str(python), "-m", "pip", "install", "-r", "requirements-cpu.txt", "torch==2.14.1"], folder, env)
    assert code == 0, out
    assert "(2.14.1+cpu)" in out and "Successfully installed corso-student" in out, out


@pytest.fixture(scope="module")
def installed(editions, tmp_path_factory):
    """The Italian edition, installed by a student in a fresh folder."""
    return install_edition(editions["it"], tmp_path_factory.mktemp("student"))


def test_edition_installs_as_its_readme_says(installed):
    folder, python, env = installed
    code, out = run([str(python), "-c", "import corso, corso.data, corso_student; print(corso.__file__); "
                     "print(corso.data.DATA_DIR)"], folder / "04-mnist-mlp", env)
    assert code == 0, out
    package, data_dir = out.split()
    assert Path(package).is_relative_to(folder / ".venv"), "the notebooks import the edition's corso, not the course's"
    assert Path(data_dir) == folder / "data"
    prefix = folder / ".venv"
    assert (prefix / "etc/jupyter/labconfig/page_config.d/zz-corso-student.json").is_file()
    assert (prefix / "etc/jupyter/jupyter_server_config.d/zz-corso-student.json").is_file()


def corso_check(installed, notebook):
    """The README's terminal check, the edition's own console script in the student's environment."""
    folder, python, env = installed
    return run([str(folder / ".venv" / "bin" / "corso-check"), notebook], folder, env)


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", ["01-tensors", "04-mnist-mlp"])
def test_solved_notebook_passes_the_editions_check(installed, lesson_id):
    folder = installed[0]
    lesson = next(lesson for lesson in LESSONS if lesson.id == lesson_id)
    notebook = f"{lesson.id}/{lesson.slug}.ipynb"
    filled_release(lesson, "it", folder / notebook)
    code, out = corso_check(installed, notebook)
    assert code == 0 and check.WORDS["it"]["all"] in out, out
    assert LABELS["it"][FAILED] not in out and LABELS["it"][NOT_ANSWERED] not in out, out


@pytest.mark.slow
def test_untouched_notebook_is_listed_as_not_answered_and_exits_one(installed):
    lesson = LESSONS[0]
    notebook = f"{lesson.id}/untouched.ipynb"  # the release as shipped (another test fills in tensors.ipynb)
    original = lesson.release("it").read_bytes()
    (installed[0] / notebook).write_bytes(original)
    code, out = corso_check(installed, notebook)
    assert code == 1, out
    titles = [title for _, title, _ in exercises(read_source(lesson), "it")]
    assert all(f"{LABELS['it'][NOT_ANSWERED]}  {title}" in out for title in titles), out
    assert "Traceback" not in out and "NotImplementedError" not in out
    assert (installed[0] / notebook).read_bytes() == original  # the check does not change the student's file
    nbformat.validate(nbformat.reads(original.decode(), as_version=4))
