"""Searching cases and tasks, as the people who use the lists: each finds only what they may see,
by any word of the case (accents and case ignored), with filters that combine, on the page, in
the exports and in the API."""
import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from cases import access, search, workflow
from cases.models import Case, CaseSearch, Comment
from org.models import Unit

from .api_client import Api, fill

pytestmark = pytest.mark.django_db

SUPPORT = "S04.03.04.02"


def ticket(asunto, detalle="Sin detalle", **more):
    return {"asunto": asunto, "detalle": detalle, "categoria": "Hardware", "ubicacion": "Piso 2", **more}


def start(user, asunto, detalle="Sin detalle"):
    return workflow.start_case(user, SUPPORT, data=ticket(asunto, detalle))


def web(user):
    client = Client()
    client.force_login(user)
    return client


def numbers(response):
    return {row["number"] for row in response.json()["results"]}


def csv_rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response):
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def people(staff, make_user):
    ana = make_user("ana", unit="uo")
    ana.first_name, ana.last_name = "Ana", "Núñez Pérez"
    ana.save()
    beto = make_user("beto", unit="uo")
    return {"ana": ana, "beto": beto, **staff}


def test_a_requester_finds_only_their_own_cases(people):
    mine = start(people["ana"], "Impresora atascada en el piso 3")
    theirs = start(people["beto"], "Impresora sin tóner")
    api = Api("ana")
    assert numbers(api.get("/api/cases", q="impresora")) == {mine.number}
    page = web(people["ana"]).get("/casos/", {"all": "1", "q": "impresora"}).content.decode()
    assert mine.number in page and theirs.number not in page
    # Even by the other case's own number.
    assert api.get("/api/cases", q=theirs.number).json() == {"count": 0, "count_exact": True, "page": 1, "page_size": 50,
                                                              "next": None, "previous": None, "results": []}


def test_a_technician_finds_the_cases_of_their_procedures_by_a_word_of_the_form_accents_ignored(people):
    case = start(people["ana"], "Problema con el antivirus", "Falla la instalación del antivirus corporativo")
    technician = people["soporte-tecnico"]
    assert SUPPORT in access.staff_procedures(technician)
    api = Api("soporte-tecnico")
    for words in ("instalacion", "INSTALACIÓN", "instal", "antivir corporativo", "Núñez", "nunez", case.number):
        assert numbers(api.get("/api/cases", q=words)) == {case.number}, words
    assert numbers(api.get("/api/cases", q="instalacion impresora")) == set()   # every word must match
    # A case of a procedure the technician has no part in is not found, whatever it says.
    other = next(code for code in ("S04.01.00.01", "S04.01.00.02") if code not in access.staff_procedures(technician))
    hidden = workflow.start_case(people["jefe-ogtie"], other, subject="Instalación de la red del piso 9")
    assert numbers(Api("jefe-ogtie").get("/api/cases", q="instalacion")) == {case.number, hidden.number}
    assert numbers(api.get("/api/cases", q="instalacion")) == {case.number}
    # On the page too, and only what the technician may see.
    page = web(technician).get("/casos/", {"all": "1", "q": "instalacion"}).content.decode()
    assert case.number in page and hidden.number not in page


def test_plurals_and_prefixes_find_the_word(people):
    case = start(people["ana"], "Configurar impresora", "La impresora de red no imprime")
    api = Api("soporte-tecnico")
    for words in ("impresoras", "impres", "redes"):
        assert numbers(api.get("/api/cases", q=words)) == {case.number}, words


def test_an_outsider_finds_nothing_and_exports_only_the_header(people):
    start(people["ana"], "Impresora atascada")
    start(people["beto"], "Correo bloqueado")
    outsider = people["ministro"]
    assert not access.visible_cases(outsider).exists()
    assert Api("ministro").get("/api/cases").json()["count"] == 0
    assert Api("ministro").get("/api/cases", q="impresora").json()["results"] == []
    client = web(outsider)
    page = client.get("/casos/", {"all": "1"}).content.decode()
    assert "Impresora" not in page and "0 casos" in page
    for params in ({"all": "1"}, {"all": "1", "q": "impresora"}):
        assert csv_rows(client.get("/casos/exportar.csv", params)) == [list(_headers())]
        assert xlsx_rows(client.get("/casos/exportar.xlsx", params)) == [list(_headers())]


def _headers():
    from cases.export import HEADERS

    return HEADERS


def test_user_text_cannot_break_the_query(people):
    case = start(people["ana"], "Impresora atascada")
    api = Api("soporte-tecnico")
    for text in ('"', "impresora\"*", "NEAR(a b)", "impreso\u0301ra", "x:*B", "a <-> b", "!impresora", "a OR b", "-impresora", "impresora:*", "'); DROP TABLE x; --",
                 "(((", "*", "^impresora", "impresora & !x", "col:impresora", "\\", "🙂"):
        response = api.get("/api/cases", q=text)
        assert response.status_code == 200, text
    assert numbers(api.get("/api/cases", q="(impresora)")) == {case.number}
    assert numbers(api.get("/api/cases", q="impresora\"*")) == {case.number}


def test_filters_combine_and_stay_in_the_url(people):
    Unit.objects.create(slug="digedoc", acronym="DIGEDOC", name="Dirección General de Documentación")
    carla = get_user_model().objects.get(username="beto")
    carla.person.unit = Unit.objects.get(slug="digedoc")
    carla.person.save()
    carla = get_user_model().objects.get(username="beto")
    old = start(people["ana"], "Monitor parpadea")
    recent = start(people["ana"], "Monitor sin imagen")
    other_unit = start(carla, "Monitor roto")
    closed = start(people["ana"], "Monitor antiguo")
    Case.objects.filter(pk=closed.pk).update(status=Case.Status.CANCELLED)
    long_ago = timezone.now() - timedelta(days=40)
    Case.objects.filter(pk=old.pk).update(created_at=long_ago)
    api = Api("jefe-ogtie")
    everything = {old.number, recent.number, other_unit.number, closed.number}
    assert numbers(api.get("/api/cases", q="monitor")) == everything
    assert numbers(api.get("/api/cases", q="monitor", status="open")) == everything - {closed.number}
    assert numbers(api.get("/api/cases", q="monitor", unit="DIGEDOC")) == {other_unit.number}
    assert numbers(api.get("/api/cases", q="monitor", unit="uo", status="open")) == {old.number, recent.number}
    assert numbers(api.get("/api/cases", requester="nunez", status="open")) == {old.number, recent.number}
    assert numbers(api.get("/api/cases", requester="ana perez", procedure=SUPPORT)) == {old.number, recent.number, closed.number}
    today = timezone.localdate()
    assert numbers(api.get("/api/cases", q="monitor", status="open", unit="uo", **{"from": today.isoformat()})) == {recent.number}
    day = timezone.localtime(long_ago).date()
    assert numbers(api.get("/api/cases", **{"from": day.strftime("%d/%m/%Y"), "to": day.isoformat()})) == {old.number}
    assert numbers(api.get("/api/cases", procedure="S04.01.00.01", q="monitor")) == set()

    # The page keeps every filter in the form, the pager and the export links.
    params = {"all": "1", "q": "monitor", "status": "open", "unit": "uo", "from": (today - timedelta(days=60)).isoformat(),
              "to": today.isoformat(), "requester": "ana", "procedure": SUPPORT}
    page = web(people["jefe-ogtie"]).get("/casos/", params).content.decode()
    assert old.number in page and recent.number in page
    assert other_unit.number not in page and closed.number not in page
    assert 'value="monitor"' in page and 'value="ana"' in page and f'value="{today.isoformat()}"' in page
    assert "exportar.csv?all=1&amp;q=monitor&amp;procedure=S04.03.04.02&amp;status=open&amp;requester=ana&amp;unit=uo" in page


def test_exports_hold_the_rows_the_list_shows(people):
    cases = [start(people["ana"], f"Teclado {n}") for n in range(3)]
    start(people["ana"], "Mouse inalámbrico")
    Case.objects.filter(pk=cases[0].pk).update(priority=Case.Priority.HIGH)
    client = web(people["operador-mesa-ayuda"])
    params = {"all": "1", "q": "teclado"}
    page = client.get("/casos/", params).content.decode()
    assert "3 casos" in page
    rows = csv_rows(client.get("/casos/exportar.csv", params))
    assert rows[0] == list(_headers()) and rows[0][:3] == ["Número", "Procedimiento", "Asunto"]
    assert [r[0] for r in rows[1:]] == [c.number for c in reversed(cases)]    # newest first, as listed
    first = rows[-1]
    assert first[1:7] == [SUPPORT, "Teclado 0", "En curso", "Alta", "Ana Núñez Pérez", "U.O."]
    sheet = xlsx_rows(client.get("/casos/exportar.xlsx", params))
    assert [r[0] for r in sheet] == [r[0] for r in rows]
    assert sheet[-1][2] == "Teclado 0" and sheet[-1][7].date() == timezone.localdate()
    # "Mis solicitudes" exports only the person's own requests.
    assert csv_rows(client.get("/casos/exportar.csv", {"q": "teclado"}))[1:] == []


def test_a_subject_typed_as_a_formula_is_exported_as_text(people):
    case = workflow.start_case(people["jefe-ogtie"], "S04.01.00.01", subject="=HYPERLINK(\"http://x\")")
    client = web(people["jefe-ogtie"])
    rows = csv_rows(client.get("/casos/exportar.csv", {"all": "1"}))
    assert rows[1][2] == "'=HYPERLINK(\"http://x\")"
    sheet = load_workbook(io.BytesIO(client.get("/casos/exportar.xlsx", {"all": "1"}).content)).active
    assert sheet["C2"].data_type == "s" and sheet["C2"].value == "=HYPERLINK(\"http://x\")"
    assert sheet["A2"].value == case.number


def test_api_list_pages_by_fifty_and_names_bad_parameters(people):
    ana = people["ana"]
    for n in range(53):
        workflow.start_case(ana, SUPPORT, subject=f"Pedido {n}")
    api = Api("ana")
    first = api.get("/api/cases").json()
    assert first["count"] == 53 and len(first["results"]) == 50 and first["next"] == 2 and first["previous"] is None
    second = api.get("/api/cases", page="2").json()
    assert len(second["results"]) == 3 and second["next"] is None and second["previous"] == 1
    assert {r["number"] for r in first["results"]}.isdisjoint({r["number"] for r in second["results"]})
    assert api.get("/api/cases", page="9").json()["results"] == []
    row = second["results"][-1]
    assert set(row) == {"id", "number", "procedure", "status", "subject", "requester", "unit", "priority", "created_at"}
    assert row["subject"] == "Pedido 0" and row["requester"] == "Ana Núñez Pérez" and row["unit"] == "U.O."
    assert row["priority"] == "medium"
    for params, name in (({"page": "dos"}, "page"), ({"page": "0"}, "page"), ({"from": "2026-13-45"}, "from"),
                         ({"to": "ayer"}, "to"), ({"status": "abierto"}, "status"), ({"procedure": "S99"}, "procedure"),
                         ({"unit": "XYZ"}, "unit"), ({"q": "x" * 201}, "q"),
                         ({"from": "2026-02-01", "to": "2026-01-01"}, "from")):
        response = api.get("/api/cases", **params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["error"] == "datos_invalidos" and f"«{name}»" in body["detail"] and name in body["errors"], body
    # POST on the same path still starts a case.
    assert api.post("/api/cases", {"procedure": SUPPORT, "data": ticket("Otro pedido")}).status_code == 201


def test_a_search_that_finds_very_many_says_more_than_and_still_pages(people, monkeypatch):
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    for n in range(5):
        workflow.start_case(people["ana"], SUPPORT, subject=f"Monitor {n}")
    api = Api("ana")
    first = api.get("/api/cases", q="monitor").json()
    assert (first["count"], first["count_exact"], len(first["results"])) == (3, False, 5)
    monkeypatch.setattr(search, "COUNT_LIMIT", 10)
    assert api.get("/api/cases", q="monitor").json()["count"] == 5
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    page = web(people["ana"]).get("/casos/", {"q": "monitor"}).content.decode()
    assert "Más de 3 casos" in page
    assert len(csv_rows(web(people["ana"]).get("/casos/exportar.csv", {"q": "monitor"}))) == 6   # the export is not capped


def test_case_and_task_json_say_what_the_case_is_about(people):
    case = start(people["ana"], "Pantalla azul")
    data = Api("ana").get(f"/api/cases/{case.pk}").json()
    assert (data["subject"], data["priority"], data["requester"], data["requester_unit"]) == (
        "Pantalla azul", "medium", "Ana Núñez Pérez", "U.O.")
    [task] = Api("operador-mesa-ayuda").get("/api/tasks", scope="available").json()
    assert (task["case_subject"], task["case_priority"], task["case_requester"], task["case_requester_unit"]) == (
        "Pantalla azul", "medium", "Ana Núñez Pérez", "U.O.")


def test_the_inbox_shows_the_case_and_filters_by_its_words(people):
    printer = start(people["ana"], "Impresora atascada")
    mail = start(people["beto"], "Correo bloqueado")
    client = web(people["operador-mesa-ayuda"])
    page = client.get("/", {"scope": "available"}).content.decode()
    assert "Impresora atascada" in page and "Ana Núñez Pérez" in page and "U.O." in page and "Media" in page
    found = client.get("/", {"scope": "available", "q": "impresoras"}).content.decode()
    assert printer.number in found and mail.number not in found and 'value="impresoras"' in found
    none = client.get("/", {"scope": "available", "q": "escáner"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Ninguna de sus tareas corresponde a «escáner»" in none
    api = Api("operador-mesa-ayuda")
    assert [t["case_number"] for t in api.get("/api/tasks", scope="available", q="correo").json()] == [mail.number]
    # Claimed, it is found among "mine" the same way.
    task = printer.tasks.get(status="open")
    workflow.claim_task(task.pk, people["operador-mesa-ayuda"])
    assert [t["case_number"] for t in api.get("/api/tasks", scope="mine", q="atascada").json()] == [printer.number]
    assert api.get("/api/tasks", scope="mine", q="correo").json() == []


def test_inbox_and_case_list_read_each_page_in_a_fixed_number_of_queries(people):
    client = web(people["operador-mesa-ayuda"])
    lead = web(people["jefe-ogtie"])

    def queries(path, params, c):
        with CaptureQueriesContext(connection) as captured:
            assert c.get(path, params).status_code == 200
        return len(captured)

    start(people["ana"], "Uno")
    few = (queries("/", {"scope": "available"}, client), queries("/casos/", {"all": "1", "q": "uno"}, lead))
    for n in range(6):
        start(people["beto" if n % 2 else "ana"], f"Uno más {n}")
    assert (queries("/", {"scope": "available"}, client), queries("/casos/", {"all": "1", "q": "uno"}, lead)) == few


def test_the_document_follows_the_case(people):
    case = start(people["ana"], "Laptop lenta")
    task = case.tasks.get(status="open")
    workflow.complete_task(task.pk, people["operador-mesa-ayuda"], {"prioridad": "Alta", "observaciones": "Revisar disco duro"}, "Sí")
    document = CaseSearch.objects.get(case=case)
    assert "Laptop lenta" in document.body and "Revisar disco duro" in document.body
    api = Api("soporte-tecnico")
    assert numbers(api.get("/api/cases", q="disco duro")) == {case.number}
    # A public comment is found once the case is reindexed; an internal note never is.
    Comment.objects.create(case=case, author=people["operador-mesa-ayuda"], body="Se cambió la memoria RAM")
    Comment.objects.create(case=case, author=people["operador-mesa-ayuda"], body="Usuario conflictivo", internal=True)
    search.reindex_case(case.pk)
    assert numbers(api.get("/api/cases", q="memoria")) == {case.number}
    assert numbers(api.get("/api/cases", q="conflictivo")) == set()
    assert numbers(Api("ana").get("/api/cases", q="conflictivo")) == set()
    # The rebuilt document is the appended one, plus the comment.
    assert "Revisar disco duro" in CaseSearch.objects.get(case=case).body
    # A case loaded without a document (bulk, or from before the index) gets one at its next completion.
    CaseSearch.objects.filter(case=case).delete()
    assert numbers(api.get("/api/cases", q="laptop")) == set()
    task = case.tasks.get(status="open")
    workflow.complete_task(task.pk, people["operador-mesa-ayuda"], {"especialidad": "Hardware"}, None)
    assert numbers(api.get("/api/cases", q="laptop")) == {case.number}


def test_reindex_search_rebuilds_every_document(people):
    from django.core.management import call_command

    case = start(people["ana"], "Escáner sin controlador")
    CaseSearch.objects.all().delete()
    assert numbers(Api("ana").get("/api/cases", q="escaner")) == set()
    out = io.StringIO()
    call_command("reindex_search", stdout=out)
    assert "reconstruidos: 1" in out.getvalue()
    assert numbers(Api("ana").get("/api/cases", q="escaner")) == {case.number}


def test_personal_data_is_not_searchable(people):
    """Someone who sees a case with its DNI masked must not learn the DNI by searching for it."""
    accounts = "S04.03.01.01"
    requester = Api("ana")
    first = requester.get(f"/api/procedures/{accounts}").json()["activities"][0]
    case = requester.post("/api/cases", {"procedure": accounts, "subject": "Cuenta para el nuevo analista",
                                         "data": fill(first["form"])}).json()
    operator = Api("operador-mesa-ayuda")
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).json()
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {
        "data": fill(task["form"]), "decision": "Creación de cuenta de usuario nuevo"}).json()
    [task] = case["open_tasks"]
    data = dict(fill(task["form"]), dni="45678912")
    response = Api("profesional-ogtie").post(f"/api/tasks/{task['id']}/complete", {"data": data, "decision": "No"})
    assert response.status_code == 200 and "45678912" in response.content.decode()
    lead = Api("jefe-ogtie")
    assert lead.get("/api/cases", q="45678912").json()["count"] == 0
    assert numbers(lead.get("/api/cases", q="nuevo analista")) == {case["number"]}


def test_search_cases_is_a_queryset_on_visible_cases(people):
    mine = start(people["ana"], "Proyector")
    start(people["beto"], "Proyector")
    found = search.search_cases(people["ana"], q="proyector", date_from=date.today() - timedelta(days=1))
    assert list(found) == [Case.objects.get(pk=mine.pk)]
    assert search.search_cases(people["ministro"], q="proyector").count() == 0
