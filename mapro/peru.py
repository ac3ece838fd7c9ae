"""Spanish as written in Peru. Django has no es_PE locale and falls back to `es`, which writes
"septiembre"; Peruvian public documents write "setiembre"."""
from datetime import date

MONTH_NAMES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
               "setiembre", "octubre", "noviembre", "diciembre")
WEEKDAY_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def long_date(day: date) -> str:
    """27 de setiembre de 2026"""
    return f"{day.day} de {MONTH_NAMES[day.month - 1]} de {day.year}"
