"""The files kracht takes as attachments: a file name it may show, and a type it knows by the
file's name and by its content (the first bytes, and the parts inside an office document).

A file is taken only when both say the same: a program renamed `plan.pdf` is refused, and so is
a PDF renamed `plan.docx`. The name is shown to people and put in a download's header, never
used as a path: it holds no folder (/ or \\), no control or formatting characters (a right-to-left
override can make `gpj.exe` read as `exe.jpg`), and is at most MAX_NAME characters.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

from kracht.basics.errors import InvalidInput

MAX_NAME = 200  # characters in a file name
HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # characters a name may not hold
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office formats (.doc, .xls)
ZIP = b"PK\x03\x04"  # the new ones (.docx, .xlsx) and OpenDocument (.odt, .ods)
PROGRAMS = (  # what a disguised program starts with, to say what the file really is
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script"),
)


@dataclass(frozen=True)
class FileType:
    """A type kracht takes: its key, its media type, the name endings it goes by, and what its
    content must be (`check`, see `_fits`)."""

    key: str
    media_type: str
    endings: tuple[str, ...]
    check: str  # pdf | png | jpeg | ole2 | ooxml:<folder> | odf:<media type> | text
    words: str  # how a message names it


_ODT = "application/vnd.oasis.opendocument.text"
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",), "pdf", "a PDF"),
        FileType("xlsx", _XLSX, (".xlsx",), "ooxml:xl/", "an Excel workbook (.xlsx)"),
        FileType("xls", "application/vnd.ms-excel", (".xls",), "ole2", "an Excel file (.xls)"),
        FileType("docx", _DOCX, (".docx",), "ooxml:word/", "a Word document (.docx)"),
        FileType("doc", "application/msword", (".doc",), "ole2", "a Word file (.doc)"),
        FileType("odt", _ODT, (".odt",), f"odf:{_ODT}", "an OpenDocument text (.odt)"),
        FileType("ods", _ODS, (".ods",), f"odf:{_ODS}", "an OpenDocument spreadsheet (.ods)"),
        FileType("csv", "text/csv", (".csv",), "text", "a CSV file"),
        FileType("txt", "text/plain", (".txt",), "text", "a text file"),
        FileType("png", "image/png", (".png",), "png", "a PNG image"),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"), "jpeg", "a JPEG image"),
    )
}
FILE = "attachment_file"  # the field every refusal of a file names
NAME = "file_name"


def clean_name(name: object) -> str:
    """The file's own name as people will see it (NFC, trimmed); refused when it holds a folder
    or a character that does not show."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("file name: give the file's name", field=NAME, label="file name")
    text = unicodedata.normalize("NFC", name.strip())
    if "/" in text or "\\" in text or text in (".", ".."):
        raise InvalidInput(
            f"file name {_shown(text)} holds a folder; give the file's own name, such as plan.pdf",
            field=NAME,
            label="file name",
        )
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in HIDDEN:
            raise InvalidInput(
                f"file name holds the control character U+{ord(char):04X} at character "
                f"{position}; rename the file",
                field=NAME,
                label="file name",
            )
    if len(text) > MAX_NAME:
        raise InvalidInput(
            f"file name is {len(text)} characters long; the limit is {MAX_NAME}",
            field=NAME,
            label="file name",
        )
    return text


def file_type(name: str, data: bytes, allowed: tuple[str, ...] = ()) -> FileType:
    """The type of the file `name` holding `data`, by its name ending and its content, both;
    one of `allowed` (default: every type in TYPES). Refused in one line naming the file."""
    if not data:
        raise InvalidInput(f"file {_shown(name)} is empty (0 bytes); give the file itself",
                           field=FILE, label="file")  # fmt: skip
    taken = [TYPES[key] for key in (allowed or tuple(TYPES))]
    ending = name.lower().rpartition(".")[2] if "." in name else ""
    found = next((t for t in taken if f".{ending}" in t.endings), None)
    if found is None:
        known = ", ".join(e for t in taken for e in t.endings)
        raise InvalidInput(
            f"file {_shown(name)} is not of a type taken here; give one of {known}",
            field=FILE,
            label="file",
        )
    if not _fits(found.check, data):
        raise InvalidInput(
            f"file {_shown(name)} is named {found.endings[0]} but its content is not "
            f"{found.words}{_really(data)}; give the document itself",
            field=FILE,
            label="file",
        )
    return found


def _fits(check: str, data: bytes) -> bool:
    """Whether `data` is what `check` asks for."""
    kind, _, detail = check.partition(":")
    if kind == "pdf":
        return data[:1024].lstrip(b"\xef\xbb\xbf\r\n\t ").startswith(b"%PDF-")
    if kind == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if kind == "ole2":
        return data.startswith(OLE2)
    if kind in ("ooxml", "odf"):
        return data.startswith(ZIP) and _zip_holds(kind, detail, data)
    return _is_text(data)


def _zip_holds(kind: str, detail: str, data: bytes) -> bool:
    """An Office Open XML package with its `[Content_Types].xml` and a part under `detail`, or
    an OpenDocument package whose `mimetype` entry is `detail`. Only the directory and that one
    small entry are read: nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if kind == "ooxml":
                return "[Content_Types].xml" in names and any(n.startswith(detail) for n in names)
            info = package.getinfo("mimetype") if "mimetype" in names else None
            if info is None or info.file_size > 200:
                return False
            return package.read(info).decode("ascii", "replace").strip() == detail
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError):
        return False
    except RuntimeError:  # an encrypted entry
        return False


def _is_text(data: bytes) -> bool:
    """Text: UTF-8 (or Windows-1252, as spreadsheets export it) without NUL or other control
    characters than tab, line breaks and form feed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


def _really(data: bytes) -> str:
    for start, what in PROGRAMS:
        if data.startswith(start):
            return f" (it is {what})"
    return ""


def _shown(name: str) -> str:
    return repr(name if len(name) <= 60 else name[:57] + "...")
