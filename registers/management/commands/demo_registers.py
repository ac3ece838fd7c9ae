"""`mapro demo_registers`: a few entries in the office's registers, so a person trying the demo sees
them filled (only when the registers are empty). Written through the registers' own actions, as an
initial load would be, so each entry has its version and audit entry."""
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from registers import actions
from registers.models import Entry

PEOPLE = (("45678912", "Juan Pérez Rojas"), ("41234567", "María Quispe Huamán"), ("40001234", "Luis Torres Vega"),
          ("47771234", "Rosa Mamani Cárdenas"))


def _entries(year: int):
    """(register, action, key, values) in the order they are written."""
    yield from (("cuentas-accesos", "create", {"cuenta": account},
                 {"dni": dni, "nombre": name, "modalidad_contratacion": contract,
                  "accesos": "Correo institucional, SISTRADOC", "fecha_alta": f"{year}-0{i + 1}-15"})
                for i, ((dni, name), account, contract) in enumerate(zip(
                    PEOPLE, ("jperez", "mquispe", "ltorres", "rmamani"),
                    ("Régimen CAS", "Orden de servicio", "Régimen CAS", "Personal Altamente Calificado - PAC"))))
    yield from (("usuarios-vpn", "create", {"usuario": user}, {"dni": dni, "nombre": name, "unidad": unit,
                                                               "fecha_alta": f"{year}-03-0{i + 2}"})
                for i, ((dni, name), user, unit) in enumerate(zip(PEOPLE[:3], ("jperez.vpn", "mquispe.vpn", "ltorres.vpn"),
                                                                  ("OGTIE", "DIPEC", "OGA"))))
    yield ("dispositivos-certificado", "assign", {"serie_tarjeta": "TC-2026-00017"},
           {"serie_lector": "LT-88121", "dni": PEOPLE[0][0], "nombre": PEOPLE[0][1], "fecha_entrega": f"{year}-02-10"})
    yield ("dispositivos-certificado", "assign", {"serie_tarjeta": "TC-2026-00018"},
           {"serie_lector": "LT-88122", "dni": PEOPLE[1][0], "nombre": PEOPLE[1][1], "fecha_entrega": f"{year}-04-21"})
    yield ("dispositivos-certificado", "create", {"serie_tarjeta": "TC-2026-00019"}, {"serie_lector": "LT-88123"})
    yield from (("equipos-computo", "create", {"codigo_patrimonial": code},
                 {"tipo_equipo": kind, "ubicacion": place, "unidad_organizacion": unit,
                  "vencimiento_garantia": f"{year + 1}-06-30"})
                for code, kind, place, unit in (("74089950-0012", "Equipo de cómputo", "Piso 3, oficina 302", "OGTIE"),
                                                ("74089950-0013", "Equipo de cómputo", "Piso 5", "DIPEC"),
                                                ("74640500-0007", "Impresora", "Piso 1, mesa de partes", "SG")))
    yield ("equipos-telefonicos", "assign", {"codigo_patrimonial": "95228000-0031"},
           {"tipo_equipos": ["Equipos telefónicos IP"], "equipo": "Teléfono IP Cisco 8845", "anexo": "4321",
            "titular": PEOPLE[2][1], "dni": PEOPLE[2][0], "fecha_entrega": f"{year}-05-06"})
    yield ("sistemas-informacion", "create", {"sistema": "Sistema de Trámite Documentario (SISTRADOC)"},
           {"unidad_propietaria": "SG", "version": "3.2", "repositorio_git": "git.mindef.gob.pe/ogtie/sistradoc"})
    yield ("sistemas-informacion", "create", {"sistema": "Sistema de control de visitas"},
           {"unidad_propietaria": "OGA", "version": "1.0"})
    for month, element, kind in ((2, "Base de datos SISTRADOC", "BD"), (3, "Servidor de archivos", "Servidores"),
                                 (4, "Carpetas compartidas de la SG", "Archivos")):
        yield ("cronograma-respaldos", "create", {"elemento": element, "fecha_programada": f"{year + 1}-0{month}-02"},
               {"anio": year + 1, "tipo": kind})


class Command(BaseCommand):
    help = "Carga algunas entradas de demostración en los registros (solo si están vacíos)."

    def handle(self, *args, **options):
        if Entry.objects.exists():
            self.stdout.write("Los registros ya tienen entradas; no se cargan las de demostración.")
            return
        year = timezone.localdate().year
        written = 0
        for slug, action, key, values in _entries(year):
            actions.change(None, slug, action, key, values, note="Carga de demostración")
            written += 1
        self.stdout.write(f"{written} entradas de demostración cargadas en los registros.")
