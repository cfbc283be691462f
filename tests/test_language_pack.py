"""The course's Italian language pack (corso.language_pack): the upstream pack's catalogs merged with the course's
translations (corso/student/jupyterlab-it.json), as a deterministic wheel that pip installs, and, in a real
browser, a JupyterLab whose menu bar, menus and file browser are Italian with it.

The browser test needs /usr/bin/chromium (apt-get install -y chromium); deselect with -m "not browser".
"""

import base64
import collections
import csv
import gettext
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from labpage import VIEWPORT, JupyterLab, NotebookPage, chromium
from packaging.specifiers import SpecifierSet
from project import ROOT

from corso import edition, language_pack

CATALOG = language_pack.course_translations()
TRANSLATIONS = CATALOG["translations"]
SAME_IN_ITALIAN = set(CATALOG["same_in_italian"]["labels"])
ARTIFACTS = ROOT / "test-artifacts" / "language-pack"
MESSAGES = "jupyterlab_language_pack_it_IT/locale/it_IT/LC_MESSAGES"


@pytest.fixture(scope="module")
def upstream():
    return language_pack.upstream_files()[1]


@pytest.fixture(scope="module")
def merged(upstream):
    return language_pack.merged_files(upstream, TRANSLATIONS)


@pytest.fixture(scope="module")
def wheel():
    return language_pack.italian_pack_wheel()


def _forms(value):
    return [value] if isinstance(value, str) else value["msgstr"]


def _lookup(translations, msgid, value):
    """What Python's gettext gives for a course entry (pgettext for a context, ngettext for plurals)."""
    context, _, plain = msgid.rpartition("\x04")
    if isinstance(value, dict):
        return [translations.ngettext(msgid, value["msgid_plural"], n) for n in (1, 2)]
    return [translations.pgettext(context, plain) if context else translations.gettext(plain)]


def test_json_catalogs_hold_every_course_translation_and_every_other_upstream_entry(upstream, merged):
    for domain, entries in TRANSLATIONS.items():
        path = f"{MESSAGES}/{domain}.json"
        before, after = json.loads(upstream[path]), json.loads(merged[path])
        for msgid, value in entries.items():
            assert after[msgid] == _forms(value), msgid
        for msgid, forms in before.items():
            if msgid not in entries:
                assert after[msgid] == forms, msgid
        assert after[""] == before[""]  # the domain, language and plural rule stay the pack's


def test_mo_catalogs_read_back_with_python_gettext(upstream, merged):
    for domain, entries in TRANSLATIONS.items():
        path = f"{MESSAGES}/{domain}.mo"
        translations = gettext.GNUTranslations(io.BytesIO(merged[path]))
        for msgid, value in entries.items():
            assert _lookup(translations, msgid, value) == _forms(value), msgid
        overridden = {msgid.encode() for msgid in entries}
        after = dict(language_pack.read_mo(merged[path]))
        for original, text in language_pack.read_mo(upstream[path]):
            if original.split(b"\0")[0] not in overridden:
                assert after[original] == text, original
        assert translations.info() == gettext.GNUTranslations(io.BytesIO(upstream[path])).info()


def test_mo_writer_round_trips_the_upstream_catalog(upstream):
    data = upstream[f"{MESSAGES}/jupyterlab.mo"]
    entries = dict(language_pack.read_mo(data))
    assert language_pack.read_mo(language_pack.write_mo(entries)) == sorted(entries.items())
    again = gettext.GNUTranslations(io.BytesIO(language_pack.write_mo(entries)))
    assert again._catalog == gettext.GNUTranslations(io.BytesIO(data))._catalog
    assert again.pgettext("schema", "Language") == "Lingua"  # the pack's one schema-context entry, kept


def test_a_course_entry_must_match_the_packs_plural_forms():
    catalog = json.dumps({"": {"domain": "jupyterlab"}, "%1 Item": ["%1 Elemento", "%1 Elementi"]}).encode()
    with pytest.raises(language_pack.LanguagePackError, match="plural"):
        language_pack.merge_json(catalog, {"%1 Item": "%1 Cosa"}, "jupyterlab")
    mo = language_pack.write_mo({b"%1 Item\0%1 Items": b"%1 Elemento\0%1 Elementi"})
    with pytest.raises(language_pack.LanguagePackError, match="plural"):
        language_pack.merge_mo(mo, {"%1 Item": "%1 Cosa"})


def test_every_course_msgid_is_one_jupyterlab_uses():
    """A msgid JupyterLab does not use (a typo, a string that changed) would translate nothing: each is a string
    literal of JupyterLab's page code or a menu label of its settings schemas."""
    lab = Path(sys.prefix) / "share" / "jupyter"
    code = "".join(path.read_text(encoding="utf-8", errors="replace")
                   for folder in (lab / "lab" / "static", lab / "labextensions") for path in folder.rglob("*.js"))
    schemas = "".join(path.read_text(encoding="utf-8") for path in (lab / "lab" / "schemas").rglob("*.json"))
    unused = []
    for domain, entries in TRANSLATIONS.items():
        for msgid in entries:
            context, _, plain = msgid.rpartition("\x04")
            literal = json.dumps(plain, ensure_ascii=False)
            if context:  # a schema's menu label, or the page's _p(context, msgid)
                found = f'"label": {literal}' in schemas and context == "menu" or f'"{context}",{literal}' in code
            else:  # minified code quotes with " (JSON's escapes) or, where the text holds one, with '
                found = literal in code or f"'{plain}'" in code
            if not found:
                unused.append((domain, msgid))
    assert not unused, unused


def test_wheel_is_deterministic_with_a_local_version_of_the_pinned_pack(wheel):
    name, data = wheel
    assert language_pack.italian_pack_wheel() == (name, data)
    version = re.fullmatch(r"jupyterlab_language_pack_it_it-(.+)-py3-none-any\.whl", name).group(1)
    assert re.fullmatch(r"4\.5\.post3\+corso\.[0-9a-f]{12}", version), version
    assert SpecifierSet("==4.5.post3").contains(version)  # PEP 440: the local label is ignored by ==4.5.post3
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        dist = f"jupyterlab_language_pack_it_it-{version}.dist-info"
        assert f"{dist}/licenses/LICENSE.txt" in names
        assert b"it_IT = jupyterlab_language_pack_it_IT" in archive.read(f"{dist}/entry_points.txt")
        assert f"Version: {version}\n" in archive.read(f"{dist}/METADATA").decode()
        rows = list(csv.reader(io.StringIO(archive.read(f"{dist}/RECORD").decode())))
        assert sorted(row[0] for row in rows) == sorted(names)
        for path, digest, size in rows:
            if path != f"{dist}/RECORD":
                content = archive.read(path)
                expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
                assert (digest, size) == (f"sha256={expected}", str(len(content))), path


def install(wheel, target):
    """pip install --no-deps --no-index --target: the folder a lab's PYTHONPATH puts first."""
    path = target.parent / wheel[0]
    path.write_bytes(wheel[1])
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                          "--disable-pip-version-check", "--target", str(target), str(path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return target


_SERVER_SIDE = """
import json
from jupyterlab_server.translation_utils import get_language_pack, translator
translator.set_locale("it_IT")
bundle = translator.load("jupyterlab")
pack, message = get_language_pack("it_IT")
print(json.dumps({"edit": bundle.pgettext("menu", "Edit"), "json": pack["jupyterlab"]["menu\\u0004Edit"],
                  "message": message}))
"""


def test_installed_wheel_is_the_pack_jupyterlab_server_reads(wheel, tmp_path):
    target = install(wheel, tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", _SERVER_SIDE], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    expected = TRANSLATIONS["jupyterlab"]["menu\x04Edit"]
    assert answer["edit"] == expected  # the .mo: menus of the settings schemas, translated by the server
    assert answer["json"] == [expected]  # the JSON: what the page reads
    assert not answer["message"].strip(), answer["message"]


# ---------------------------------------------------------------------------------------------------------
# In a browser

# Items whose labels are names, not JupyterLab's words: the text editor's languages, recent paths, open tabs,
# and the kernel's own Help links ("help-menu-python3:NumPy Reference"; they appear once the kernel answers).
NAMES = ("fileeditor:change-language", "recentmenu:open-recent", "tabsmenu:activate-by-id", "help-menu-")

_LIST_MENU = """() => {
  const menus = Array.from(document.querySelectorAll('.lm-Menu'));
  return Array.from(menus[menus.length - 1].querySelectorAll('.lm-Menu-item'))
    .filter(li => li.dataset.type !== 'separator' && li.offsetParent !== null)
    .map(li => ({label: li.querySelector('.lm-Menu-itemLabel').textContent, command: li.dataset.command ?? '',
                 submenu: li.dataset.type === 'submenu'}));
}"""


def _open_menus(page):
    return len(page.query_selector_all(".lm-Menu"))


def _walk(page, top, depth, found):
    """Every visible item of the open menu and its submenus: (top menu index, depth, command, label)."""
    level = _open_menus(page)
    for index, item in enumerate(page.evaluate(_LIST_MENU)):
        found.append((top, depth, item["command"], item["label"]))
        if item["submenu"]:
            visible = [li for li in page.query_selector_all(".lm-Menu")[level - 1].query_selector_all(".lm-Menu-item")
                       if li.get_attribute("data-type") != "separator" and li.is_visible()]
            visible[index].hover()
            page.wait_for_function(f"() => document.querySelectorAll('.lm-Menu').length > {level}")
            _walk(page, top, depth + 1, found)
            page.keyboard.press("ArrowLeft")
            page.wait_for_function(f"() => document.querySelectorAll('.lm-Menu').length <= {level}")


def read_interface(notebook):
    """What the page shows: the menu bar's titles, every menu item, the file browser's column titles."""
    page = notebook.page
    bar = page.locator("#jp-menu-panel .lm-MenuBar-item")
    titles = [text.strip() for text in page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_text_contents()]
    items = []
    for top in range(bar.count()):
        bar.nth(top).click()
        page.wait_for_selector(".lm-Menu")
        _walk(page, top, 1, items)
        page.keyboard.press("Escape")
        page.wait_for_function("() => document.querySelectorAll('.lm-Menu').length == 0")
    columns = [text.strip() for text in page.locator(".jp-DirListing-headerItemText").all_text_contents()]
    return titles, items, [column for column in columns if column]


def english_labels(english, italian):
    """Italian-page items whose label is the English page's label for the same item (same top menu, depth and
    command), less names and the words Italian shares."""
    shown = collections.defaultdict(set)
    for top, depth, command, label in english:
        shown[top, depth, command].add(label)
    return sorted({(top, command, label) for top, depth, command, label in italian
                   if label in shown[top, depth, command] and not command.startswith(NAMES)
                   and label not in SAME_IN_ITALIAN})


@pytest.fixture(scope="module")
def lab_with_pack(tmp_path_factory, wheel):
    """A JupyterLab whose Python finds the course's pack first (PYTHONPATH), with the student's lab extensions
    disabled as in the edition (no Nbgrader menu)."""
    base = tmp_path_factory.mktemp("pack-lab")
    target = install(wheel, base / "site")
    root = base / "course"
    root.mkdir()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(nb, root / "lesson.ipynb")
    state = base / "state"
    labconfig = state / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in edition.DISABLED_LAB_EXTENSIONS}}))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    class PackLab(JupyterLab):
        def environment(self):
            env = super().environment()
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
            return env

    lab = PackLab(root, state, ARTIFACTS / "jupyterlab.log")
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.mark.browser
@pytest.mark.slow
def test_italian_menus_file_browser_and_restart_dialog(lab_with_pack):
    lab = lab_with_pack
    start = time.monotonic()
    seen = {}
    with chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(30_000)
        try:
            for locale in ("en", "it_IT"):
                lab.set_locale(locale)
                notebook = NotebookPage.open(context, lab, "lesson.ipynb", ARTIFACTS, locale)
                seen[locale] = read_interface(notebook)
                if locale == "it_IT":
                    notebook.screenshot("menus")
                    notebook.toolbar_button("notebook:restart-kernel").click()
                    dialog = notebook.page.wait_for_selector(".jp-Dialog", state="visible")
                    seen["restart"] = " ".join(dialog.inner_text().split())
                    dialog.wait_for_selector(".jp-Dialog-button.jp-mod-reject").click()
                notebook.page.close()
        finally:
            context.close()
    seconds = time.monotonic() - start
    (ARTIFACTS / "interface.json").write_text(json.dumps(seen, indent=1, ensure_ascii=False))

    (en_titles, en_items, en_columns), (titles, items, columns) = seen["en"], seen["it_IT"]
    menu = TRANSLATIONS["jupyterlab"]
    assert titles == [menu[f"menu\x04{title}"] for title in en_titles], titles
    def ours(found):
        return [item for item in found if not item[2].startswith("help-menu-")]
    assert len(ours(items)) == len(ours(en_items)) > 100, (len(ours(items)), len(ours(en_items)))
    english = english_labels(en_items, items)
    assert not english, english
    pack = lab.translations("it_IT")
    assert columns == [pack[column] for column in en_columns], columns
    for english_path, italian_path in CATALOG["menu_paths"]["paths"].items():  # as the lessons name them
        for (bar, found), path in (((en_titles, en_items), english_path), ((titles, items), italian_path)):
            top, label = path.split(" → ")
            assert label in {item[3] for item in found if item[:2] == (bar.index(top), 1)}, path
    assert pack["Restart Kernel?"] in seen["restart"], seen["restart"]
    restart = menu["Do you want to restart the kernel of %1? All variables will be lost."]
    assert restart.replace("%1", "lesson.ipynb") in seen["restart"], seen["restart"]
    assert menu["Do not ask me again."] in seen["restart"], seen["restart"]
    print(f"{len(items)} menu items, {len(english)} English; browser part {seconds:.1f} s")
