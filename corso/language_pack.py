"""The course's Italian language pack for JupyterLab: the upstream pack with the course's translations merged in.

    italian_pack_wheel()  ->  ("jupyterlab_language_pack_it_it-4.5.post3+corso.<hash>-py3-none-any.whl", bytes)

Why: the only Italian pack on PyPI for JupyterLab 4.5 (``jupyterlab-language-pack-it-IT==4.5.post3``) leaves
the menu bar, about half of the menu items and several toolbar tooltips and dialogs in English. JupyterLab
reads a language pack in two ways, and both read only the module named ``jupyterlab_language_pack_<locale>``
(jupyterlab_server 2.x ``translation_utils.py``):

- the page's strings come from the pack's JSON catalogs, ``locale/<locale>/LC_MESSAGES/<domain>.json``
  (``get_language_pack``, served at ``lab/api/translations/<locale>``);
- the settings schemas' strings, among them the menu bar's and submenus' titles (``jupyter.lab.menus``,
  context ``menu``), are translated on the server by Python's gettext from the same folder's ``<domain>.mo``
  (``TranslationBundle.update_locale``; ``translator.translate_schema``).

A second distribution cannot add to them: the ``jupyterlab.locale`` entry point's merge
(``merge_locale_data``) only reaches the JSON side, and only when ``parse_version`` of the package's
``version`` beats the pack's, which is the string ``"jupyterlab"`` (not a version: packaging raises
InvalidVersion); the ``.mo`` side has no merge at all ("TODO: Need to handle packages that provide their own
.mo files"). So the course ships the pack itself, rebuilt: the installed upstream pack's files (read through
``importlib.metadata``), its ``.json`` and ``.mo`` catalogs merged with ``student/jupyterlab-it.json``, its
license kept, under the local version ``4.5.post3+corso.<hash>``, which still satisfies ``==4.5.post3``
(PEP 440, "Version matching": a candidate's local version label is ignored when the specifier has none).

The ``.mo`` files are read and written here in GNU gettext's binary format (GNU gettext manual, "The Format of
GNU MO Files"): a header of seven 32-bit words (magic 0x950412de, revision 0, the number of strings N, the
offsets of the originals' and translations' tables, the hash table's size and offset), two tables of N
(length, offset) pairs, then the NUL-terminated strings; originals sorted, no hash table (size 0), as CPython's
``Tools/i18n/msgfmt.py`` writes them. A context is ``context + "\\x04" + msgid``, plural forms are joined by
``"\\x00"`` (what ``gettext.GNUTranslations`` reads back).
"""

import hashlib
import importlib.metadata
import json
import struct
from pathlib import Path

from corso.wheel import make_wheel

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE / "student" / "jupyterlab-it.json"
DISTRIBUTION = "jupyterlab-language-pack-it-IT"
LOCALE = "it_IT"
MO_MAGIC = 0x950412DE
CONTEXT = "\x04"  # gettext's separator between a message's context and its msgid


class LanguagePackError(Exception):
    """The upstream pack is missing, or a catalog cannot be merged."""


def course_translations():
    """The course's catalog file: {"translations": {domain: {msgid: Italian}}, "same_in_italian": ...}."""
    return json.loads(TRANSLATIONS.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------
# GNU .mo files

def read_mo(data):
    """[(original, translation)] of a .mo file's bytes, in file order, as raw bytes."""
    if len(data) < 28:
        raise LanguagePackError("not a .mo file: too short")
    for order in "<>":
        magic, revision, count, originals, translations = struct.unpack(f"{order}5I", data[:20])
        if magic == MO_MAGIC:
            break
    else:
        raise LanguagePackError("not a .mo file: bad magic number")
    if revision >> 16 not in (0, 1):
        raise LanguagePackError(f"unknown .mo revision {revision:#x}")

    def string(table, index):
        length, offset = struct.unpack(f"{order}2I", data[table + 8 * index:table + 8 * index + 8])
        if offset + length > len(data):
            raise LanguagePackError("a .mo string runs past the end of the file")
        return data[offset:offset + length]

    return [(string(originals, i), string(translations, i)) for i in range(count)]


def write_mo(entries):
    """The .mo bytes (little-endian, no hash table) of {original: translation} (bytes)."""
    keys = sorted(entries)
    count = len(keys)
    originals_table = 28
    translations_table = originals_table + 8 * count
    offset = translations_table + 8 * count
    pairs, strings = [], []
    for text in [*keys, *(entries[key] for key in keys)]:
        pairs.append((len(text), offset))
        strings.append(text + b"\0")
        offset += len(text) + 1
    header = struct.pack("<7I", MO_MAGIC, 0, count, originals_table, translations_table, 0, offset)
    return header + b"".join(struct.pack("<2I", *pair) for pair in pairs) + b"".join(strings)


# ---------------------------------------------------------------------------------------------------------
# Merging

def _forms(msgid, value):
    """(msgid_plural or None, [forms]) of a course catalog entry: a string, or {"msgid_plural", "msgstr"}."""
    if isinstance(value, str):
        return None, [value]
    if set(value) != {"msgid_plural", "msgstr"} or not value["msgstr"]:
        raise LanguagePackError(f"{msgid!r}: an entry is a string or {{'msgid_plural', 'msgstr': [forms]}}")
    return value["msgid_plural"], list(value["msgstr"])


def merge_mo(data, translations):
    """The .mo bytes of ``data`` with ``translations`` ({msgid: entry}) added or replacing its entries."""
    entries = dict(read_mo(data))
    by_singular = {key.split(b"\0", 1)[0]: key for key in entries}
    for msgid, value in translations.items():
        plural, forms = _forms(msgid, value)
        old = by_singular.get(msgid.encode())
        if old is not None:
            if (b"\0" in old) != (plural is not None):
                raise LanguagePackError(f"{msgid!r}: the course's entry and the pack's differ in plural forms")
            del entries[old]
        key = msgid if plural is None else f"{msgid}\0{plural}"
        entries[key.encode()] = "\0".join(forms).encode()
    return write_mo(entries)


def merge_json(data, translations, domain):
    """The JSON catalog (JupyterLab's format: {"": metadata, msgid: [forms]}, a plural keyed by its singular) of
    ``data`` merged with ``translations``; ``data`` None makes a new catalog for ``domain``."""
    catalog = json.loads(data) if data is not None else {"": {
        "domain": domain, "language": "it-IT", "plural_forms": "nplurals=2; plural=(n != 1);", "version": "jupyterlab"}}
    for msgid, value in translations.items():
        plural, forms = _forms(msgid, value)
        if msgid in catalog and (len(catalog[msgid]) > 1) != (plural is not None):
            raise LanguagePackError(f"{msgid!r}: the course's entry and the pack's differ in plural forms")
        catalog[msgid] = forms
    return (json.dumps(catalog, indent=4, ensure_ascii=False) + "\n").encode()


def _empty_mo(domain):
    header = (f"Project-Id-Version: {domain}\nLanguage: {LOCALE}\nMIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
              "Plural-Forms: nplurals=2; plural=(n != 1);\n")
    return write_mo({b"": header.encode()})


# ---------------------------------------------------------------------------------------------------------
# The upstream pack and the course's wheel

def upstream_files():
    """(version, {path in the wheel: bytes}) of the installed upstream pack: its module and its dist-info's
    METADATA, entry points and licenses (not what an installer writes: RECORD, INSTALLER, REQUESTED)."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise LanguagePackError(f"{DISTRIBUTION} is not installed in this environment") from error
    files = {}
    for path in dist.files or ():
        parts = path.parts
        if "__pycache__" in parts:
            continue
        if parts[0].endswith(".dist-info"):
            inner = "/".join(parts[1:])
            if inner not in ("METADATA", "entry_points.txt") and parts[1] != "licenses":
                continue
            files[f"dist-info/{inner}"] = Path(path.locate()).read_bytes()
        else:
            files[path.as_posix()] = Path(path.locate()).read_bytes()
    if "dist-info/METADATA" not in files:
        raise LanguagePackError(f"{DISTRIBUTION}'s METADATA is missing")
    return dist.version, files


def merged_files(files, translations):
    """The pack's files with each domain's ``.json`` and ``.mo`` merged with the course's translations."""
    module = next(name.split("/")[0] for name in files if name.endswith("/__init__.py") and name.count("/") == 1)
    folder = f"{module}/locale/{LOCALE}/LC_MESSAGES"
    merged = dict(files)
    for domain, entries in sorted(translations.items()):
        json_path, mo_path = f"{folder}/{domain}.json", f"{folder}/{domain}.mo"
        merged[json_path] = merge_json(files.get(json_path), entries, domain)
        merged[mo_path] = merge_mo(files.get(mo_path) or _empty_mo(domain), entries)
    return merged


def _metadata(text, version):
    lines = text.splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith("Version:")]
    if len(found) != 1:
        raise LanguagePackError("the pack's METADATA has no single Version line")
    lines[found[0]] = f"Version: {version}"
    return ("\n".join(lines) + "\n").encode()


def italian_pack_wheel():
    """(file name, bytes) of the course's Italian language pack: same bytes for the same upstream pack and
    course catalog."""
    upstream_version, files = upstream_files()
    payload = merged_files(files, course_translations()["translations"])
    digest = hashlib.sha256(json.dumps({name: hashlib.sha256(content).hexdigest()
                                        for name, content in sorted(payload.items())}).encode()).hexdigest()
    version = f"{upstream_version}+corso.{digest[:12]}"
    dist = f"{DISTRIBUTION.lower().replace('-', '_')}-{version}"  # the wheel's normalised name (PEP 427)
    out = {}
    for path, content in payload.items():
        if path.startswith("dist-info/"):
            inner = path.removeprefix("dist-info/")
            out[f"{dist}.dist-info/{inner}"] = _metadata(content.decode(), version) if inner == "METADATA" else content
        else:
            out[path] = content
    return make_wheel(dist, out, "corso.language_pack")
