"""Document numbers: per type, year and issuing unit, in the ministry's style; no gap and no
duplicate when many people issue at once; a rollback gives the number back; an annulled number
stays recorded and is never given again."""
import threading

import pytest
from django.db import connection, transaction

from documents import actions, numbering
from documents.models import Document, DocumentTemplate

from .documents_helpers import case_of, document_templates, documents_storage  # noqa: F401

ACCOUNTS = "S04.03.01.02"   # Eliminación de cuentas: its oficios and informes


def _draft(user, case, slug="oficio", n=1):
    template = DocumentTemplate.current().get(slug=slug)
    return [actions.draft_document(user, case, template, {"cuerpo": f"Oficio de prueba {i}"}) for i in range(n)]


@pytest.mark.django_db
def test_numbers_follow_the_ministry_style_per_type_year_and_unit(staff):
    case = case_of(ACCOUNTS)
    chief = staff["jefe-ogtie"]
    [oficio] = _draft(chief, case)
    [informe] = _draft(chief, case, "informe-tecnico")
    oficio, informe = actions.issue(chief, oficio), actions.issue(chief, informe)
    year = oficio.year
    assert oficio.number == f"OFICIO N° 00001-{year}-MINDEF/SG-OGTIE"
    assert informe.number == f"INFORME TÉCNICO N° 00001-{year}-MINDEF/SG-OGTIE"
    [second] = _draft(chief, case)
    assert actions.issue(chief, second).number == f"OFICIO N° 00002-{year}-MINDEF/SG-OGTIE"
    # The number is printed on the numbered version's PDF.
    from .documents_helpers import version_text

    assert oficio.number in " ".join(version_text(oficio.current_version()).split())
    # Another unit or another year has a sequence of its own.
    with transaction.atomic():
        assert numbering.issue_number("oficio", "MINDEF/SG-OGA", year)[0] == 1
        assert numbering.issue_number("oficio", "MINDEF/SG-OGTIE", year + 1)[0] == 1


@pytest.mark.django_db
def test_a_rolled_back_issue_gives_its_number_back_and_an_annulled_one_keeps_it(staff):
    case = case_of(ACCOUNTS)
    chief = staff["jefe-ogtie"]
    first, second, third = _draft(chief, case, n=3)
    actions.issue(chief, first)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.issue(chief, second)
        raise RuntimeError("la transacción de quien numera falla después de tomar el número")
    second.refresh_from_db()
    assert second.number == "" and second.sequence_number is None
    second = actions.issue(chief, second)
    assert second.sequence_number == 2          # no gap: 2 was given back
    annulled = actions.annul(chief, second, "Se emitió por error")
    assert annulled.status == "anulado" and annulled.number.startswith("OFICIO N° 00002-")
    assert actions.issue(chief, third).sequence_number == 3   # never given again
    assert list(Document.objects.filter(type="oficio").order_by("sequence_number")
                .values_list("sequence_number", "status")) == [(1, "proyecto"), (2, "anulado"), (3, "proyecto")]


def test_numbering_must_run_inside_the_callers_transaction():
    with pytest.raises(RuntimeError):
        numbering.issue_number("oficio", "MINDEF/SG-OGTIE", 2026)


@pytest.mark.django_db(transaction=True)
def test_two_hundred_oficios_issued_by_twenty_people_at_once_are_numbered_1_to_200(staff, document_templates):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent issuers need a server database (PostgreSQL); SQLite serialises writers by design")
    case = case_of(ACCOUNTS)
    chief = staff["jefe-ogtie"]
    drafts = _draft(chief, case, n=200)
    issuers = [chief] + [staff[r] for r in ("coord-infraestructura", "coord-innovacion", "coord-ciberseguridad",
                                            "coord-estadistica", "coord-gobierno-ti")]
    errors, barrier = [], threading.Barrier(20)

    def work(k):
        try:
            barrier.wait()
            for document in drafts[k::20]:
                actions.issue(issuers[k % len(issuers)], document)
        except Exception as exc:  # reported below, with the thread that failed
            errors.append((k, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    numbers = list(Document.objects.filter(type="oficio").values_list("sequence_number", flat=True))
    assert sorted(numbers) == list(range(1, 201))
    printed = set(Document.objects.filter(type="oficio").values_list("number", flat=True))
    assert len(printed) == 200
