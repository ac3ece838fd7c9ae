"""The knowledge base: a technician writes an article from a resolved ticket, the office's staff find
it by words (accents and case ignored), and once published the portal offers it to an employee
before they open a ticket of its category («¿Ya probó esto?»). Employees read only published
articles; every change is audited and kept as a version."""
import pytest

from audit.models import Entry
from helpdesk import actions, knowledge
from helpdesk.models import Article

from .helpdesk_helpers import login, page_message, ticket_files  # noqa: F401

pytestmark = pytest.mark.django_db

SOLUTION = "Se reinstaló el controlador de la impresora y se configuró la cola de impresión."


def resolved_ticket(staff):
    ticket = actions.open_ticket(staff["personal-mindef"], "equipo", "La impresora no imprime",
                                 "Envío a imprimir y la impresora del piso 4 no hace nada.")
    actions.assign(staff["operador-mesa-ayuda"], ticket.pk, assignee="soporte-tecnico", team="soporte-tecnico")
    actions.resolve(staff["soporte-tecnico"], ticket.pk, SOLUTION)
    return ticket


def test_a_technician_writes_an_article_from_a_resolved_ticket_prefilled_with_its_solution(staff):
    ticket = resolved_ticket(staff)
    technician = login("soporte-tecnico")
    page = technician.get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    assert f'href="/mesa-de-ayuda/conocimiento/nuevo/?ticket={ticket.pk}"' in page and "Crear artículo" in page

    form = technician.get(f"/mesa-de-ayuda/conocimiento/nuevo/?ticket={ticket.pk}")
    assert form.context["values"]["title"] == "La impresora no imprime"
    assert form.context["values"]["solution"] == SOLUTION
    assert form.context["values"]["category"] == "equipo"

    response = technician.post("/mesa-de-ayuda/conocimiento/nuevo/", {
        "ticket": ticket.pk, "title": "La impresora no imprime", "problem": "La impresora no responde al imprimir.",
        "solution": SOLUTION, "category": "equipo", "tags": "impresora, controlador, impresora"}, follow=True)
    assert "Artículo guardado como borrador" in page_message(response)
    article = Article.objects.get()
    assert (article.status, article.source_ticket, article.author.username, article.tags) == (
        "borrador", ticket, "soporte-tecnico", "impresora, controlador")
    assert Entry.objects.filter(action="article.created", object_id=str(article.pk)).exists()


def test_staff_find_articles_by_words_ignoring_accents_and_case(staff):
    technician = staff["soporte-tecnico"]
    printer = knowledge.create(technician, title="Impresión bloqueada", problem="La cola de impresión no avanza.",
                               solution="Reinicie el servicio de cola de impresión.", category="equipo")
    vpn = knowledge.create(technician, title="VPN sin conexión", problem="El cliente VPN no conecta desde casa.",
                           solution="Actualice el certificado del cliente.", category="cuenta-acceso")

    assert list(knowledge.search(technician, "IMPRESION")) == [printer]
    assert list(knowledge.search(technician, "cola impres")) == [printer]     # the last word may be a prefix
    assert list(knowledge.search(technician, "certificado conexión")) == [vpn]
    assert list(knowledge.search(technician, "impresión vpn")) == []
    assert set(knowledge.search(technician, "")) == {printer, vpn}
    page = login("soporte-tecnico").get("/mesa-de-ayuda/conocimiento/?q=impresion").content.decode()
    assert "Impresión bloqueada" in page and "VPN sin conexión" not in page


def test_only_published_articles_reach_employees_and_the_portal_offers_them_first(staff):
    technician = staff["soporte-tecnico"]
    draft = knowledge.create(technician, title="Borrador interno", problem="Algo.", solution="Algo más.", category="equipo")
    article = knowledge.create(technician, title="Reinicie la impresora", problem="No imprime.",
                               solution="Apáguela 30 segundos y vuelva a encenderla.", category="equipo")
    employee = login("personal-mindef")
    assert employee.get(f"/mesa-de-ayuda/conocimiento/{article.pk}/").status_code == 404
    assert "¿Ya probó esto?" not in employee.get("/mesa-de-ayuda/nuevo/equipo/").content.decode()

    response = login("soporte-tecnico").post(f"/mesa-de-ayuda/conocimiento/{article.pk}/estado", {"status": "publicado"},
                                             follow=True)
    assert "Artículo publicado en el portal." in page_message(response)

    page = employee.get("/mesa-de-ayuda/nuevo/equipo/").content.decode()
    assert "¿Ya probó esto?" in page and "Reinicie la impresora" in page and "Borrador interno" not in page
    assert "Reinicie la impresora" not in employee.get("/mesa-de-ayuda/nuevo/cuenta-acceso/").content.decode()
    read = employee.get(f"/mesa-de-ayuda/conocimiento/{article.pk}/").content.decode()
    assert "Apáguela 30 segundos" in read and "Publicar en el portal" not in read
    assert employee.get(f"/mesa-de-ayuda/conocimiento/{draft.pk}/").status_code == 404
    assert [a.title for a in knowledge.search(staff["personal-mindef"], "")] == ["Reinicie la impresora"]
    # Employees do not write.
    assert employee.get("/mesa-de-ayuda/conocimiento/nuevo/").status_code == 404
    refused = employee.post(f"/mesa-de-ayuda/conocimiento/{article.pk}/estado", {"status": "retirado"}, follow=True)
    assert "La base de conocimiento la escribe el personal de la OGTIE." in page_message(refused)

    knowledge.set_status(technician, article.pk, "retirado")
    assert employee.get(f"/mesa-de-ayuda/conocimiento/{article.pk}/").status_code == 404
    assert "¿Ya probó esto?" not in employee.get("/mesa-de-ayuda/nuevo/equipo/").content.decode()
    assert list(Entry.objects.filter(object_id=str(article.pk), action__startswith="article.")
                .order_by("id").values_list("action", flat=True)) == ["article.created", "article.published", "article.retired"]


def test_an_edit_is_a_new_version_and_a_stale_form_is_refused(staff):
    technician = staff["soporte-tecnico"]
    article = knowledge.create(technician, title="Correo lleno", problem="No llegan correos.", solution="Vacíe la papelera.")
    client = login("soporte-tecnico")
    fields = {"title": "Buzón de correo lleno", "problem": "No llegan correos.", "solution": "Vacíe la papelera.",
              "category": "", "tags": "correo"}
    response = client.post(f"/mesa-de-ayuda/conocimiento/{article.pk}/editar", {**fields, "version": "1"}, follow=True)
    assert "Artículo actualizado (nueva versión)." in page_message(response)
    article.refresh_from_db()
    assert (article.version, article.title) == (2, "Buzón de correo lleno")
    assert list(article.versions.values_list("version", "title")) == [(2, "Buzón de correo lleno"), (1, "Correo lleno")]
    assert list(knowledge.search(technician, "buzon")) == [article]
    assert list(knowledge.search(technician, "correo lleno")) == [article]

    stale = client.post(f"/mesa-de-ayuda/conocimiento/{article.pk}/editar", {**fields, "title": "Otro", "version": "1"},
                        follow=True)
    assert "Otra persona acaba de modificar el artículo" in page_message(stale)
    article.refresh_from_db()
    assert article.title == "Buzón de correo lleno"

    empty = client.post(f"/mesa-de-ayuda/conocimiento/{article.pk}/editar", {**fields, "solution": "  ", "version": "2"},
                        follow=True)
    assert "Escriba la solución." in page_message(empty)


def test_the_ticket_history_reads_in_spanish(staff):
    ticket = resolved_ticket(staff)
    page = login("personal-mindef").get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    history = page.split("<h2>Historial</h2>")[1]
    assert "<dt>Estado</dt><dd>Nuevo → Asignado</dd>" in history
    assert "<dt>Asignado a</dt><dd>soporte-tecnico</dd>" in history
    assert "<dt>Estado</dt><dd>Asignado → Resuelto</dd>" in history
    assert "<dt>Categoría</dt><dd>No funciona mi equipo</dd>" in history and "<dt>Canal</dt><dd>Portal</dd>" in history
    for raw in ("status", "assignee", "category", "validated_at", "resuelto →", "None"):
        assert raw not in history
