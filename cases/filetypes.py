"""What an uploaded file is, judged by its content, never by its name.

Accepted: PDF, PNG, JPEG, Word/Excel (DOCX, XLSX) and OpenDocument (ODT, ODS) documents, plain
text and CSV, and e-mail messages (.eml). Office documents are zip containers: they are told
apart by the container's own declaration (`mimetype` for OpenDocument, `[Content_Types].xml` for
Office Open XML), so a zip of anything else, or a macro-enabled document, is refused. Only small
members are read, so a compressed "bomb" costs nothing. Pure Python, no libmagic.
"""
from __future__ import annotations

import re
import zipfile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
TEXT = "text/plain"
CSV = "text/csv"
EMAIL = "message/rfc822"

# What people are told is accepted (Spanish, for error messages and the upload form).
ACCEPTED = "PDF, PNG, JPEG, Word (.docx), Excel (.xlsx), OpenDocument (.odt, .ods), texto o CSV, correo (.eml)"
# The `accept` attribute of a file input: a hint for the browser's file picker only.
ACCEPT_ATTRIBUTE = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.ods,.txt,.csv,.eml"

_OPENDOCUMENT = {ODT.encode(): ODT, ODS.encode(): ODS}
# Office Open XML: the main part's content type, and the part that must exist.
_OFFICE = (
    (b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml", DOCX),
    (b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml", XLSX),
)
_SMALL_MEMBER = 1 << 20   # [Content_Types].xml and mimetype are a few KB at most

# Bytes that never appear in text: C0 controls except tab, line feed, form feed, carriage return
# (and escape, which some old exports carry), and DEL.
_BINARY = bytes(set(range(0x00, 0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}) + b"\x7f"
_HEADER = re.compile(rb"^[!-9;-~]+:[ \t]")
_MAIL_HEADERS = {b"from", b"to", b"date", b"subject", b"received", b"message-id", b"mime-version", b"return-path",
                 b"cc", b"reply-to", b"delivered-to", b"x-mailer"}
_CHUNK = 1 << 16


def sniff(fileobj, name: str = "") -> str | None:
    """The content type of a seekable binary file, or None if it is not one we accept.
    Leaves the file positioned at its start."""
    try:
        fileobj.seek(0)
        head = fileobj.read(8192)
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return PNG
        if head.startswith(b"\xff\xd8\xff"):
            return JPEG
        if head.startswith(b"PK\x03\x04"):
            return _zip_document(fileobj)
        if head and _is_text(fileobj):
            if _looks_like_mail(head):
                return EMAIL
            return CSV if name.lower().endswith(".csv") else TEXT
        return None
    finally:
        fileobj.seek(0)


def _member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _SMALL_MEMBER:
        return None
    return archive.read(info)


def _zip_document(fileobj) -> str | None:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            mimetype = _member(archive, "mimetype")
            if mimetype is not None:
                return _OPENDOCUMENT.get(mimetype.strip())
            types = _member(archive, "[Content_Types].xml")
            if types is None:
                return None
            for main_type, part, kind in _OFFICE:
                if main_type in types and part in names:
                    return kind
            return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return None


def _is_text(fileobj) -> bool:
    """No byte that text never carries, anywhere in the file (UTF-8 or a Windows code page)."""
    fileobj.seek(0)
    while chunk := fileobj.read(_CHUNK):
        if chunk.translate(None, _BINARY) != chunk:
            return False
    return True


def _looks_like_mail(head: bytes) -> bool:
    """An RFC 5322 message: it opens with header lines, several of them a mail's usual ones."""
    lines = head.lstrip(b"\xef\xbb\xbf").splitlines()
    names, seen_header = set(), False
    for line in lines[:200]:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t") and seen_header:
            continue   # a folded header
        if not _HEADER.match(line):
            return False
        seen_header = True
        names.add(line.split(b":", 1)[0].lower())
    return len(names & _MAIL_HEADERS) >= 2
