"""The build: golden output for a small lesson, idempotence, re-execution only on change, atomicity, --check."""

import json

import pytest
from project import FIXTURES, ROOT

from corso.build import BuildError, build, generated_files
from corso.cli import main


def quiet(line):
    pass


def snapshot(course):
    return {path.relative_to(course): path.read_bytes() for path in generated_files(course)}


def test_release_matches_the_reviewed_golden_files(mini_course):
    golden = FIXTURES / "mini" / "expected"
    for language in ("it", "en"):
        relative = f"release/{language}/01-mini/mini.ipynb"
        assert (mini_course / relative).read_bytes() == (golden / relative).read_bytes(), relative


def test_second_build_changes_nothing_and_executes_nothing(mini_course):
    first = snapshot(mini_course)
    assert sorted(map(str, first)) == [
        "notebooks/en/01-mini.ipynb", "notebooks/it/01-mini.ipynb", "release/en/01-mini/mini.ipynb",
        "release/it/01-mini/mini.ipynb", "solutions/01-mini/mini.ipynb"]
    log = []
    assert build(mini_course, log=log.append) == []
    assert snapshot(mini_course) == first
    assert not any(line.startswith("execute") for line in log), log


def test_solution_is_executed_with_both_languages_and_reading_copies_with_one(mini_course):
    solution = json.loads((mini_course / "solutions/01-mini/mini.ipynb").read_text())
    tags = [cell["metadata"].get("tags", []) for cell in solution["cells"]]
    assert ["it"] in tags and ["en"] in tags
    code = [cell for cell in solution["cells"] if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] for cell in code)
    assert "### BEGIN" not in "".join("".join(cell["source"]) for cell in solution["cells"])
    printed = "".join("".join(output.get("text", "")) for cell in code for output in cell["outputs"])
    assert "tensor([[0, 1, 2]," in printed
    italian = json.loads((mini_course / "notebooks/it/01-mini.ipynb").read_text())
    assert all(cell["metadata"].get("tags", []) != ["en"] for cell in italian["cells"])
    assert all("nbgrader" not in cell["metadata"] for cell in italian["cells"])


def test_changed_source_is_executed_again(mini_course):
    edit_source(mini_course, "print(x)", "print(x * 10)")
    log = []
    build(mini_course, log=log.append)
    assert any(line.startswith("execute") for line in log)
    assert "tensor([[ 0, 10, 20]," in (mini_course / "solutions/01-mini/mini.ipynb").read_text()


def test_failed_build_leaves_previous_files_intact(mini_course):
    before = snapshot(mini_course)
    edit_source(mini_course, "print(x)", "print(undefined_name)")
    with pytest.raises(BuildError, match=r"mini\.ipynb, cell \d+ \(id 'code-\d+'\) failed when executed"):
        build(mini_course, log=quiet)
    assert snapshot(mini_course) == before


def test_check_names_each_stale_file(mini_course, capsys):
    assert main(["--root", str(mini_course), "build", "--check"]) == 0
    release = mini_course / "release/en/01-mini/mini.ipynb"
    release.write_text(release.read_text().replace("Minimal lesson", "Minimal lesson (edited by hand)"))
    (mini_course / "notebooks/it/stray.ipynb").write_text("{}")
    capsys.readouterr()
    assert main(["--root", str(mini_course), "build", "--check"]) == 1
    out = capsys.readouterr().out
    assert "stale: release/en/01-mini/mini.ipynb (differs from what source/ produces)" in out
    assert "stale: notebooks/it/stray.ipynb (no lesson in source/ produces it)" in out
    assert "release/it/01-mini/mini.ipynb" not in out


def test_check_reports_a_changed_source_without_executing_it(mini_course, capsys):
    edit_source(mini_course, "Write `double(x)`", "Write the function `double(x)`")
    capsys.readouterr()
    assert main(["--root", str(mini_course), "build", "--check"]) == 1
    out = capsys.readouterr().out
    for stale in ("release/en/01-mini/mini.ipynb", "solutions/01-mini/mini.ipynb", "notebooks/en/01-mini.ipynb"):
        assert f"stale: {stale}" in out
    assert "release/it/01-mini/mini.ipynb" not in out, "the Italian release does not contain the edited prose"


def test_committed_course_is_up_to_date(capsys):
    assert main(["--root", str(ROOT), "build", "--check"]) == 0, capsys.readouterr().out


def test_check_catches_a_hand_edited_solution(course_copy, capsys):
    solution = course_copy / "solutions/01-tensors/tensors.ipynb"
    nb = json.loads(solution.read_text())
    cell = next(cell for cell in nb["cells"] if cell["cell_type"] == "code" and cell["source"])
    cell["source"] = "".join(cell["source"]) + "\n# edited by hand"
    solution.write_text(json.dumps(nb, indent=1))
    assert main(["--root", str(course_copy), "build", "--check"]) == 1
    assert "stale: solutions/01-tensors/tensors.ipynb" in capsys.readouterr().out


def edit_source(course, old, new):
    (path,) = (course / "source").glob("*/*.ipynb")
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
