"""Hostile submissions against `corso grade`: one student per attack, the whole class graded once, in the sandbox.

Two kinds of attack, both written into an otherwise correct lesson-01 notebook (full marks without them):

- **tampering**: code that changes what the tests call or how the kernel runs them, placed before the first
  test. The guard must see it: every test after it scores 0 and the problems say REVIEW and what changed.
  Without the guard these attacks keep full marks, so a test here fails when a route goes unnoticed.
- **escape**: code that reaches out of the sandbox (the course, other files, the network, processes that
  outlive it, memory, disk). Its own cell fails inside the sandbox; the tests keep their points; and what it
  tried to touch is checked from outside after grading.
"""

import os
import socket
import subprocess
import threading
import uuid

import nbformat
import pytest
from project import sandbox_processes
from submissions import leaked, secret_lines
from test_grade_class import EXERCISES, FIRST, FULL, LESSON, POINTS, TIMEOUT, cell, solved

from corso.grading import grade_class
from corso.grading.collect import collect
from corso.grading.report import summary
from corso.lessons import HIDDEN_TEST_MARKERS

pytestmark = pytest.mark.slow

MARK = uuid.uuid4().hex[:12]  # names the traces an attack leaves, so that only this run's are looked for
SLEEP = str(900_000 + int(MARK[:4], 16))  # `sleep SLEEP`: a process that should not outlive its sandbox

TAMPERING = {  # student -> (code run before the first test, words expected in the problems)
    "assign": ("torch.testing.assert_close = lambda *a, **k: None", ["torch.testing.assert_close"]),
    "setattr": ("setattr(torch.testing, 'assert_close', lambda *a, **k: None)", ["torch.testing.assert_close"]),
    "module_dict": ("vars(torch.testing)['assert_close'] = lambda *a, **k: None", ["torch.testing.assert_close"]),
    "builtins_dict": ("_builtins = getattr(__builtins__, '__dict__', __builtins__)\n_is = _builtins['isinstance']\n"
                      "_builtins['isinstance'] = lambda o, t: True if t is torch.Tensor else _is(o, t)",
                      ["builtins.isinstance"]),
    "exec_string": ("exec('torch.test' + 'ing.assert_close = lambda *a, **k: None')",
                    ["torch.testing.assert_close"]),
    "code_object": ("torch.testing.assert_close.__code__ = (lambda *a, **k: None).__code__",
                    ["assert_close.__code__"]),
    "cell_magic": ("%%capture\ntorch.equal = lambda *a: True", ["torch.equal"]),
    "tensor_method": ("torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)",
                      ["Tensor.__eq__"]),
    "module_alias": ("np = __import__('math')", ["'np' is not the module numpy"]),
    "input_transformer": ("get_ipython().input_transformers_post.append(\n"
                          "    lambda lines: [line.replace('assert ', 'assert True or ') for line in lines])",
                          ["IPython input transformers (post)"]),
    "ast_transformer": ("import ast\nclass _Drop(ast.NodeTransformer):\n    def visit_Assert(self, node):\n"
                        "        return ast.Pass()\nget_ipython().ast_transformers.append(_Drop())",
                        ["IPython AST transformers"]),
    "custom_exception": ("get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)",
                         ["IPython custom exceptions"]),
    "event_callback": ("get_ipython().events.register('pre_run_cell', lambda *a: None)",
                       ["IPython pre_run_cell callbacks"]),
    "trace_function": ("import sys\nsys.settrace(lambda *a: None)", ["sys.settrace"]),
    "audit_hook": ("import sys\nsys.addaudithook(lambda *a: None)", ["sys.addaudithook"]),
    "gc_hunt": ("import gc\n_found = [o for o in gc.get_objects() if callable(o)]", ["gc.get_objects"]),
    "reply_forgery": ("_kernel = get_ipython().kernel\n_send = _kernel.session.send\n"
                      "_kernel.session.send = lambda *a, **k: _send(*a, **k)", ["kernel session.send"]),
    "showtraceback": ("get_ipython().showtraceback = lambda *a, **k: None", ["IPython shell.showtraceback"]),
    "locked_answer": ("torch.testing.assert_close = lambda *a, **k: None", ["torch.testing.assert_close"]),
}

ESCAPES = {  # student -> (code run in the NAME cell, words expected in the problems)
    "write_outside": ("import os, pathlib\n"
                      "for _path in [pathlib.Path({marker!r}), pathlib.Path({course!r}) / 'source' / 'owned']:\n"
                      "    _path.parent.mkdir(parents=True, exist_ok=True)\n"
                      "    _path.write_text('owned')", ["raised"]),
    "network": ("import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)", ["raised"]),
    "outlive": ("import subprocess\nsubprocess.Popen(['sleep', {sleep!r}], start_new_session=True)\n"
                "subprocess.Popen(['sh', '-c', 'nohup sleep {sleep} >/dev/null 2>&1 &'])", []),
    "fork_bomb": ("import os, signal, time\n_children = []\ntry:\n    while True:\n        _pid = os.fork()\n"
                  "        if _pid == 0:\n            time.sleep(300)\n            os._exit(0)\n"
                  "        _children.append(_pid)\nfinally:\n    for _pid in _children:\n"
                  "        os.kill(_pid, signal.SIGKILL)\n        os.waitpid(_pid, 0)", ["raised BlockingIOError"]),
    "memory_bomb": ("_hog = bytearray(32 * 2**30)", ["raised MemoryError"]),
    "fill_disk": ("with open('/tmp/fill', 'wb') as _f:\n    for _ in range(2048):\n"
                  "        _f.write(bytes(2**20))", ["raised OSError"]),
    "escape_sequences": ("raise ValueError('\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred')", ["raised ValueError"]),
}


# Cheats: the kernel, controlled by the student, tries to decide its own grade. Every exercise is answered
# wrongly (each function returns None) unless the cheat says otherwise: each one must score what that plain
# wrong answer scores, 0. student -> code put before the first answer.
CHEATS = {
    # the kernel reporting its own verdict: through its message serialization (error replies sent as "ok", error
    # outputs turned into nothing), ...
    "serialized_ok": ("import json\n_dumps = json.dumps\n"
                      "def _as_ok(obj, *args, **kwargs):\n"
                      "    if isinstance(obj, dict) and obj.get('status') == 'error':\n"
                      "        obj = {'status': 'ok', 'execution_count': obj.get('execution_count'),\n"
                      "               'user_expressions': {}, 'payload': []}\n"
                      "    return _dumps(obj, *args, **kwargs)\n"
                      "json.dumps = _as_ok"),
    # ... through forged reports on the guard's channel and through the observation channel itself, ...
    "forged_reports": ("import os, sys\n"
                       "for _fd in range(3, 64):\n"
                       "    try:\n"
                       "        os.write(_fd, b\"00000000000000000000000000000000 ('check', 'x')\\n\")\n"
                       "    except OSError:\n"
                       "        pass"),
    "empty_observations": ("import corso.checks\ncorso.checks.drain = lambda: '[]'\n"
                           "corso.checks.check = lambda *a, **k: None"),
    # ... through an execute_result that nbgrader would read as partial credit, ...
    "partial_credit": ("def _claim(*args):\n"
                       "    get_ipython().displayhook(2)\n"
                       "_ANSWERS = dict.fromkeys(['make_grid', 'to_float64_copy', 'pairwise_differences',\n"
                       "                          'row_proportions', 'standardize_columns', 'flatten_images'],\n"
                       "                         _claim)"),
    # ... and through a look-alike of a holder the guard reads (the events manager, sharing its callbacks).
    "holder_lookalike": ("_shell = get_ipython()\n_real = _shell.events\n"
                         "class _Events:\n"
                         "    callbacks = _real.callbacks\n"
                         "    def register(self, *a): return _real.register(*a)\n"
                         "    def unregister(self, *a): return _real.unregister(*a)\n"
                         "    def trigger(self, name, *a, **k):\n"
                         "        return _real.trigger(name, *a, **k)\n"
                         "_shell.events = _Events()"),
    # builtins shadowed in the student's namespace (the grading source reads its labels' builtins there)
    "shadow_builtin": "isinstance = lambda *a: True\ntuple = lambda *a: (3, 4)\nlen = lambda *a: 4",
    # objects that answer their own comparisons, conversions and type questions
    "self_comparing": ("class _Agreeable(torch.Tensor):\n"
                       "    def __eq__(self, other): return True\n"
                       "    def __ne__(self, other): return False\n"
                       "    def allclose(self, *a, **k): return True\n"
                       "    def tolist(self): return [[float(4 * r + c) for c in range(4)] for r in range(3)]\n"
                       "class _Impostor:\n"
                       "    __class__ = property(lambda self: torch.Tensor)\n"
                       "    def __eq__(self, other): return True\n"
                       "_ANSWERS = {'make_grid': lambda *a: torch.zeros(3, 4).as_subclass(_Agreeable),\n"
                       "            'to_float64_copy': lambda *a: _Impostor()}"),
    # a change made during the student's call and undone by a callback before the guard looks
    "change_and_undo": ("import corso.checks\n_compare = corso.checks.compare\n"
                        "def _undo(*a):\n"
                        "    corso.checks.compare = _compare\n"
                        "get_ipython().events.register('post_run_cell', _undo)\n"
                        "def _agree(*a):\n"
                        "    corso.checks.compare = lambda *a, **k: None\n"
                        "_ANSWERS = {'make_grid': _agree, 'row_proportions': _agree}"),
    # reading the test's expected values from the calling frame or the namespace
    "reads_frames": ("import sys\n"
                     "def _stolen(*args):\n"
                     "    _frame = sys._getframe(1)\n"
                     "    while _frame is not None:\n"
                     "        for _name, _value in list(_frame.f_locals.items()):\n"
                     "            if _name.startswith('_expected'):\n"
                     "                return _value\n"
                     "        _frame = _frame.f_back\n"
                     "    return get_ipython().user_ns.get('_expected')\n"
                     "_ANSWERS = dict.fromkeys(['make_grid', 'to_float64_copy', 'pairwise_differences',\n"
                     "                          'row_proportions', 'standardize_columns', 'flatten_images'], _stolen)"),
}


def cheat(code):
    """Every answer wrong (``pass``), ``code`` before the first, and each answer in its ``_ANSWERS`` used."""
    def edit(cells):
        _prepend(cell(cells, FIRST), code)
        for answer in EXERCISES:
            cell(cells, answer).source += (f"\nif '{answer}' in globals().get('_ANSWERS', {{}}):\n"
                                           f"    {answer} = _ANSWERS['{answer}']\n")
    return edit


def read_the_course(cells):
    """Unanswered, but looking for the instructor's source notebook to run its solutions."""
    cell(cells, "name").source = (
        "import pathlib, corso\n_hits = []\n"
        "for _top in [pathlib.Path(corso.__file__).parents[1], pathlib.Path.cwd(), pathlib.Path('/work')]:\n"
        "    _hits += list(_top.glob('**/source/01-tensors/tensors.ipynb'))[:1]\n"
        "for _hit in _hits:\n"
        "    import json\n"
        "    for _c in json.loads(_hit.read_text())['cells']:\n"
        "        if 'BEGIN SOLUTION' in _c['source']:\n"
        "            exec(_c['source'])\n"
        "print('found', _hits)")


def prints_the_history(cells):
    """One exercise wrong in a way only a hidden test sees; the test cells' code printed from every route."""
    answer = cell(cells, FIRST)
    answer.source += ("\n_right = make_grid\n"
                      "def make_grid(rows, cols):\n"
                      "    print(get_ipython().kernel.get_parent()['content']['code'])\n"
                      "    print('STUDENT-OUTPUT')\n"
                      "    return _right(rows, cols) if (rows, cols) == (3, 4) else _right(rows, cols) + 1\n")
    cells.append(nbformat.v4.new_code_cell("print(In)\nprint(_ih)\nprint(get_ipython().history_manager."
                                           "get_range_by_str('1-100'))"))


def lock(cells):
    cell(cells, FIRST).metadata.nbgrader["locked"] = True


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    handed_in = folder / "submissions"
    listener = socket.create_server(("127.0.0.1", 0))
    connections = []
    threading.Thread(target=lambda: connections.append(listener.accept()), daemon=True).start()
    values = {"marker": str(folder / "outside" / MARK), "course": str(LESSON.root), "sleep": SLEEP,
              "port": listener.getsockname()[1]}
    for student, (code, _) in TAMPERING.items():
        edit = [lambda cells, code=code: _prepend(cell(cells, FIRST), code)]
        if student == "locked_answer":
            edit.append(lock)
        solved(handed_in, f"{student}.ipynb", edit=lambda cells, edit=edit: [e(cells) for e in edit])
    for student, (code, _) in ESCAPES.items():
        solved(handed_in, f"{student}.ipynb", edit=lambda cells, code=code: _prepend(
            cell(cells, "name"), code.format(**values)))
    for student, code in CHEATS.items():
        solved(handed_in, f"{student}.ipynb", wrong=list(EXERCISES), edit=cheat(code))
    solved(handed_in, "read_the_course.ipynb", wrong=list(EXERCISES), edit=read_the_course)
    solved(handed_in, "prints_the_history.ipynb", edit=prints_the_history)
    report = grade_class(LESSON.root, LESSON, handed_in, folder / "grading", jobs=2, timeout=TIMEOUT)
    listener.close()
    return report, {s.student: s for s in report.submissions}, folder, connections


def _prepend(target, code):
    target.source = code + "\n" + target.source


def auto_score(submission):
    return sum(submission.scores.get(grade_id) or 0 for grade_id in POINTS)


@pytest.mark.parametrize("student", TAMPERING)
def test_tampering_scores_nothing_and_is_named(attacked, student):
    report, by_student, *_ = attacked
    submission = by_student[student]
    problems = "; ".join(submission.problems)
    assert auto_score(submission) == 0, summary(report)
    assert "REVIEW" in problems, problems
    for word in TAMPERING[student][1]:
        assert word in problems, f"{student}: {word!r} not in {problems!r}"


@pytest.mark.parametrize("student", CHEATS)
def test_a_kernel_cannot_decide_its_own_grade(attacked, student):
    report, by_student, *_ = attacked
    assert auto_score(by_student[student]) == 0, summary(report)


def test_objects_that_decide_their_own_comparisons_are_named(attacked):
    _, by_student, *_ = attacked
    problems = "; ".join(by_student["self_comparing"].problems)
    for test in (EXERCISES["make_grid"][0], EXERCISES["to_float64_copy"][0]):
        assert f"{test}: scores 0" in problems and "is not plain data" in problems, problems


@pytest.mark.parametrize("student", ESCAPES)
def test_escapes_fail_inside_and_the_tests_keep_their_points(attacked, student):
    report, by_student, *_ = attacked
    submission = by_student[student]
    problems = "; ".join(submission.problems)
    assert auto_score(submission) == FULL, summary(report)
    for word in ESCAPES[student][1]:
        assert word in problems, f"{student}: {word!r} not in {problems!r}"


def test_nothing_was_written_outside_the_sandbox(attacked):
    _, _, folder, _ = attacked
    assert not (folder / "outside").exists()
    assert not (LESSON.root / "source" / "owned").exists()


def test_the_sandbox_reaches_no_server_of_the_grader(attacked):
    *_, connections = attacked
    assert connections == []


def test_no_process_outlives_its_submission(attacked):
    found = subprocess.run(["pgrep", "-f", f"sleep {SLEEP}"], capture_output=True, text=True).stdout.split()
    assert found == [], f"processes left running: {found}"
    assert sandbox_processes() == [], "processes of the sandbox users left running"


def test_the_instructors_source_is_out_of_reach(attacked):
    report, by_student, *_ = attacked
    assert auto_score(by_student["read_the_course"]) == 0, summary(report)


def test_no_terminal_escape_reaches_the_instructor(attacked):
    report, *_ = attacked
    assert "\x1b" not in summary(report) and "\x07" not in summary(report)
    assert "\x1b" not in report.csv.read_text()


def test_feedback_never_shows_a_hidden_test_line(attacked):
    _, by_student, folder, _ = attacked
    submission = by_student["prints_the_history"]
    first_test = EXERCISES[FIRST][0]
    assert submission.scores[first_test] == 0, "the hidden test saw the wrong answer"
    hidden = [line for line in secret_lines(nbformat.read(LESSON.source, as_version=4),
                                            markers=[HIDDEN_TEST_MARKERS]) if len(line) > 10]
    pages = sorted((folder / "grading" / "feedback").glob(f"*/{LESSON.id}/{LESSON.slug}.html"))
    assert hidden and len(pages) == len([s for s in by_student.values() if s.scores])
    for page in pages:
        assert not leaked(page.read_text(), hidden), page


def test_zip_bomb_is_refused_before_it_fills_the_disk(tmp_path):
    import zipfile
    bomb = tmp_path / "class.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("alice/tensors.ipynb", "w", force_zip64=True) as entry:
            for _ in range(100):
                entry.write(bytes(1 << 20))
    from corso.grading import GradingError
    with pytest.raises(GradingError, match="unpacks past the size limit"):
        collect(bomb, LESSON, tmp_path / "scratch")
    assert sum(f.stat().st_size for f in (tmp_path / "scratch").rglob("*") if f.is_file()) <= 64 << 20
    assert os.path.getsize(bomb) < 1 << 20
