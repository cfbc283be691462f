"""The course folder: its nbgrader configuration and its lessons, found from the folder a command runs in."""

from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from corso.lessons import find_lessons


class CourseError(Exception):
    """The folder is not a course folder, or has no such lesson; the message says which and where."""


def course_root(root):
    """``root`` resolved, once it is known to hold a course (``nbgrader_config.py`` and ``source/``)."""
    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise CourseError(f"{root} is not a course folder: no nbgrader_config.py there "
                          "(run corso from the course's root folder, or pass --root)")
    if not (root / "source").is_dir():
        raise CourseError(f"{root} is not a course folder: no source/ folder beside nbgrader_config.py")
    return root


def load_config(root):
    """The course's ``nbgrader_config.py``."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_root(root))).load_config()


def find_lesson(root, lesson_id):
    """The lesson ``lesson_id`` of the course at ``root``."""
    lessons = find_lessons(course_root(root))
    for lesson in lessons:
        if lesson.id == lesson_id:
            return lesson
    raise CourseError(f"no lesson {lesson_id!r} in {Path(root, 'source')} "
                      f"(lessons: {', '.join(lesson.id for lesson in lessons) or 'none'})")
