"""What a case list shows, as a file: CSV or XLSX, Spanish column headers.

One function, export(user, filters, fmt), for the pages and, later, the API. Its rows come from
cases.search.search(), that is from access.visible_cases(user): an export never holds a case its
reader may not see, and with no visible case it is the header row alone.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from . import access
from .search import Filters, search

EXPORT_LIMIT = 10_000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS = ("Número", "Procedimiento", "Asunto", "Estado", "Prioridad", "Solicitante", "Unidad solicitante",
           "Iniciado", "Concluido")


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str
    rows: int
    truncated: bool   # more cases matched than EXPORT_LIMIT


def _local(value) -> datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def rows(user, filters: Filters, *, mine: bool = False, limit: int = EXPORT_LIMIT) -> tuple[list[tuple], bool]:
    """The rows of the list (newest first), at most `limit`; and whether more matched."""
    cases = search(user, filters, mine=mine)[:limit + 1]
    found = []
    for c in cases:
        found.append((c.number, c.procedure, c.subject, c.get_status_display(), c.get_priority_display(),
                      access.display_name(c.started_by), c.requester_unit.acronym if c.requester_unit_id else "",
                      _local(c.created_at), _local(c.completed_at)))
    return found[:limit], len(found) > limit


def _cell_text(value) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(data: list[tuple], headers: tuple[str, ...] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in data:
        writer.writerow([v.strftime("%d/%m/%Y %H:%M") if isinstance(v, datetime) else _cell_text(v) for v in row])
    # With a byte order mark, Excel opens the file as UTF-8 (accents intact).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(data: list[tuple], headers: tuple[str, ...] = HEADERS, title: str = "Casos",
            widths: tuple[int, ...] = (26, 15, 50, 12, 10, 28, 18, 17, 17)) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in data:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY HH:MM"
            else:
                cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
                cell.data_type = "s"   # text stays text, even when it starts with "="
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(user, filters: Filters, fmt: str, *, mine: bool = False, limit: int = EXPORT_LIMIT) -> Export:
    """The cases `user` may see that match `filters` (only their own requests with `mine`), as
    `fmt` ("csv" or "xlsx")."""
    if fmt not in FORMATS:
        raise ValueError(f"formato desconocido: {fmt}")
    data, truncated = rows(user, filters, mine=mine, limit=limit)
    content = to_csv(data) if fmt == "csv" else to_xlsx(data)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return Export(content, FORMATS[fmt], f"casos-{stamp}.{fmt}", len(data), truncated)

