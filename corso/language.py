"""The language filter: one bilingual notebook in, the notebook of one language out.

Prose cells are tagged with their language (``it`` or ``en``) and come in adjacent pairs; untagged cells
(code, formulas, figures, graded cells) belong to every language. ``LanguageFilter`` is an nbconvert
preprocessor, so nbgrader runs it first when it generates the release (see ``nbgrader_config.py``).
"""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

LANGUAGES = ("it", "en")


def cell_language(cell):
    """The language a cell is tagged with, or None for a cell shared by every language."""
    tagged = [tag for tag in cell.get("metadata", {}).get("tags", []) if tag in LANGUAGES]
    return tagged[0] if tagged else None


def filter_language(nb, language):
    """Drop, in place, the prose cells of every language but ``language``; return ``nb``."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: expected one of {', '.join(LANGUAGES)}")
    nb.cells = [cell for cell in nb.cells if cell_language(cell) in (None, language)]
    return nb


class LanguageFilter(Preprocessor):
    """Keep the prose of one language (``--LanguageFilter.language=en``); shared cells are kept."""

    enabled = Bool(True).tag(config=True)
    language = Unicode("it", help="The language to keep: it or en.").tag(config=True)

    def preprocess(self, nb, resources):
        return filter_language(nb, self.language), resources
