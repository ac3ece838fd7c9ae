"""Attachments: files added to a case, and `file` fields of the sheets' forms. Types are judged by
content, sizes are capped, and a file is served only after the access check, to be saved."""
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases import filetypes
from cases.models import Attachment, Case, Event, Task

from .api_client import Api, fill, small_pdf

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"      # a support ticket; its first activity is the employee's
CERTIFICATE = "S04.03.04.01"  # the digital certificate: the employee attaches the declaración jurada
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + bytes(range(256)) * 4


def web(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ticket(staff):
    requester = Api("personal-mindef")
    first = requester.get(f"/api/procedures/{SUPPORT}").json()["activities"][0]
    return requester.post("/api/cases", {"procedure": SUPPORT, "data": fill(first["form"])}).json()


def _stored_files(storage):
    return sorted(str(p) for p in Path(storage.location).rglob("*") if p.is_file())


def test_the_requester_attaches_a_file_and_the_technician_downloads_it(ticket, staff):
    requester = Api("personal-mindef")
    name = "Acta de aceptación Nº 1 «firmada».pdf"
    response = requester.upload(ticket["id"], name)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "name", "size", "content_type", "url"} <= set(body)
    assert (body["name"], body["size"], body["content_type"]) == (name, len(small_pdf()), "application/pdf")
    assert body["url"] == f"/api/attachments/{body['id']}"
    stored = Attachment.objects.get(pk=body["id"])
    assert stored.sha256 == hashlib.sha256(small_pdf()).hexdigest() and stored.uploaded_by.username == "personal-mindef"
    assert name not in stored.file.name   # stored under a name of its own, outside any web folder

    download = Api("soporte-tecnico").get(body["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == small_pdf()
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Acta%20de%20aceptaci%C3%B3n%20N%C2%BA%201%20%C2%ABfirmada%C2%BB.pdf" in disposition
    assert download["Content-Length"] == str(len(small_pdf()))

    # The case lists it, for the API and on the page, with a download link that checks access too.
    assert [a["name"] for a in requester.get(f"/api/cases/{ticket['id']}").json()["attachments"]] == [name]
    page = web(staff["soporte-tecnico"]).get(f"/casos/{ticket['id']}/").content.decode()
    assert "Adjuntos" in page and f'href="/adjuntos/{body["id"]}"' in page and "personal-mindef" in page
    from_page = web(staff["soporte-tecnico"]).get(f"/adjuntos/{body['id']}")
    assert from_page.status_code == 200 and b"".join(from_page.streaming_content) == small_pdf()
    assert from_page["X-Content-Type-Options"] == "nosniff" and "filename*=UTF-8''" in from_page["Content-Disposition"]


def test_the_case_page_upload_form(ticket, staff):
    client = web(staff["personal-mindef"])
    response = client.post(f"/casos/{ticket['id']}/adjuntos", {"file": SimpleUploadedFile("notas.txt", "Equipo con garantía hasta 2027\n".encode())})
    assert response.status_code == 302 and response["Location"].endswith("#adjuntos")
    attachment = Attachment.objects.get(case_id=ticket["id"])
    assert (attachment.name, attachment.content_type, attachment.internal) == ("notas.txt", "text/plain", False)
    page = client.get(f"/casos/{ticket['id']}/").content.decode()
    assert "notas.txt" in page
    # An .exe renamed: the page comes back with the error, nothing stored.
    response = client.post(f"/casos/{ticket['id']}/adjuntos", {"file": SimpleUploadedFile("informe.pdf", EXE)})
    assert response.status_code == 422
    assert "no es un tipo de archivo admitido" in response.content.decode()
    assert Attachment.objects.count() == 1


def test_a_renamed_executable_is_refused(ticket, staff):
    storage = Attachment._meta.get_field("file").storage
    before = _stored_files(storage)
    for name in ("acta.pdf", "foto.png", "datos.csv", "documento.docx"):
        response = Api("personal-mindef").upload(ticket["id"], name, EXE)
        assert response.status_code == 422, name
        body = response.json()
        assert body["error"] == "datos_invalidos"
        assert f"«{name}» no es un tipo de archivo admitido (se revisa su contenido, no su nombre)" in body["detail"]
        assert "file" in body["errors"]
    assert not Attachment.objects.exists()
    assert _stored_files(storage) == before


def test_a_file_over_the_limit_is_refused(ticket, settings):
    settings.MAPRO_ATTACHMENT_MAX_MB = 0.01   # about 10 KB
    api = Api("personal-mindef")
    assert api.upload(ticket["id"], "corto.txt", b"a" * 9000).status_code == 201
    for size in (12_000, 200_000):   # checked after reading, and refused before reading the body
        response = api.upload(ticket["id"], "largo.txt", b"a" * size)
        assert response.status_code == 413, size
        body = response.json()
        assert body["error"] == "archivo_demasiado_grande" and "0.01 MB" in body["detail"]
    assert Attachment.objects.count() == 1
    page = web(Attachment.objects.get().uploaded_by).post(
        f"/casos/{ticket['id']}/adjuntos", {"file": SimpleUploadedFile("largo.txt", b"a" * 12_000)})
    assert page.status_code == 413 and "el máximo es 0.01 MB" in page.content.decode()


def _zip(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _content_types(main):
    return ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/main.xml" ContentType="{main}"/></Types>')


def test_types_are_told_by_content():
    from openpyxl import Workbook

    book = io.BytesIO()
    Workbook().save(book)
    docx = _zip({"[Content_Types].xml": _content_types(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"), "word/document.xml": "<w/>"})
    docm = _zip({"[Content_Types].xml": _content_types("application/vnd.ms-word.document.macroEnabled.main+xml"),
                 "word/document.xml": "<w/>"})
    odt = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<o/>"})
    ods = _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<o/>"})
    mail = (b"Return-Path: <alguien@example.com>\r\nFrom: Alguien <alguien@example.com>\r\nTo: mesa@mindef.gob.pe\r\n"
            b"Subject: =?utf-8?q?Premio?=\r\nDate: Mon, 2 Mar 2026 10:00:00 -0500\r\n\r\nHaga clic aqu\xed.\r\n")
    cases = {
        "a.pdf": (small_pdf(), filetypes.PDF),
        "x.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, filetypes.PNG),
        "x.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, filetypes.JPEG),
        "libro.xlsx": (book.getvalue(), filetypes.XLSX),
        "carta.docx": (docx, filetypes.DOCX),
        "carta.odt": (odt, filetypes.ODT),
        "cuadro.ods": (ods, filetypes.ODS),
        "datos.csv": ("dni;nombre\n45678912;José Pérez\n".encode("cp1252"), filetypes.CSV),
        "notas": ("Sin extensión, pero texto UTF-8: ñandú\n".encode(), filetypes.TEXT),
        "sospechoso.eml": (mail, filetypes.EMAIL),
        "macro.docx": (docm, None),
        "otro.zip": (_zip({"a.txt": "hola"}), None),
        "programa.pdf": (EXE, None),
        "binario.txt": (b"texto\x00con nulo", None),
    }
    for name, (content, expected) in cases.items():
        assert filetypes.sniff(io.BytesIO(content), name) == expected, name


def test_an_outsider_gets_not_found_for_uploads_and_downloads(ticket, staff, make_user):
    uploaded = Api("personal-mindef").upload(ticket["id"]).json()
    make_user("otro-empleado")
    outsider = Api("otro-empleado")
    assert outsider.upload(ticket["id"]).status_code == 404
    for path in (uploaded["url"], f"/api/cases/{ticket['id']}/attachments", "/api/attachments/99999999"):
        response = outsider.get(path)
        assert response.status_code == 404 and response.json()["error"] == "no_encontrado", path
    assert Api().get(uploaded["url"]).status_code == 401
    client = Client()
    client.login(username="otro-empleado", password="clave-segura-123")
    assert client.get(f"/adjuntos/{uploaded['id']}").status_code == 404
    assert client.post(f"/casos/{ticket['id']}/adjuntos", {"file": SimpleUploadedFile("a.pdf", small_pdf())}).status_code == 404
    assert Client().get(f"/adjuntos/{uploaded['id']}").status_code == 302   # to the login page
    assert Attachment.objects.count() == 1


def test_an_internal_attachment_is_not_found_for_the_requester(ticket, staff):
    internal = Api("operador-mesa-ayuda").upload(ticket["id"], "informe-interno.pdf", internal=True)
    assert internal.status_code == 201 and internal.json()["internal"] is True
    requester = Api("personal-mindef")
    assert requester.get(internal.json()["url"]).status_code == 404
    assert requester.get(f"/api/cases/{ticket['id']}").json()["attachments"] == []
    assert "informe-interno" not in web(staff["personal-mindef"]).get(f"/casos/{ticket['id']}/").content.decode()
    assert web(staff["personal-mindef"]).get(f"/adjuntos/{internal.json()['id']}").status_code == 404
    assert Api("soporte-tecnico").get(internal.json()["url"]).status_code == 200
    assert requester.upload(ticket["id"], internal=True).status_code == 403


def _certificate_case():
    requester = Api("personal-mindef")
    case = requester.post("/api/cases", {"procedure": CERTIFICATE}).json()
    [task] = case["open_tasks"]
    assert task["activity"] == 1 and task["assignee"] == "personal-mindef"
    return requester, case, task


def test_a_file_field_completes_a_task_through_the_api(staff):
    requester, case, task = _certificate_case()
    field = task["form"]["properties"]["declaracion_jurada"]
    assert field == {"type": "integer", "format": "attachment-id", "title": "Formato de declaración jurada de identificación del usuario"}
    assert "declaracion_jurada" in task["form"]["required"]
    data = {key: value for key, value in fill(task["form"]).items()}
    assert "declaracion_jurada" not in data   # fill() without a case to upload to leaves it out

    refused = requester.post(f"/api/tasks/{task['id']}/complete", {"data": data})
    assert refused.status_code == 422 and "declaracion_jurada" in refused.json()["errors"]
    # An attachment of another case, one that does not exist, and an internal one are refused.
    _, other_case, _ = _certificate_case()
    other = requester.upload(other_case["id"]).json()
    internal = Api("operador-mesa-ayuda").upload(case["id"], internal=True).json()
    for wrong in (other["id"], 99999999, internal["id"], "abc"):
        response = requester.post(f"/api/tasks/{task['id']}/complete", {"data": dict(data, declaracion_jurada=wrong)})
        assert response.status_code == 422, wrong
        assert "declaracion_jurada" in response.json()["errors"]

    uploaded = requester.upload(case["id"], "declaración jurada.pdf").json()
    done = requester.post(f"/api/tasks/{task['id']}/complete", {"data": dict(data, declaracion_jurada=uploaded["id"])})
    assert done.status_code == 200, done.content
    recorded = done.json()["history"][0]["data"]["declaracion_jurada"]
    assert recorded == {"id": uploaded["id"], "name": "declaración jurada.pdf"}
    # The help desk, validating the ticket, downloads what was declared.
    assert Api("operador-mesa-ayuda").get(f"/api/attachments/{recorded['id']}").status_code == 200


def test_the_start_form_takes_the_file_and_a_failed_start_leaves_nothing(staff):
    client = web(staff["personal-mindef"])
    page = client.get(f"/procedimientos/{CERTIFICATE}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="declaracion_jurada"' in page
    storage = Attachment._meta.get_field("file").storage
    before = _stored_files(storage)
    form = {"subject": "Certificado digital", "dni": "4567891", "nombres_apellidos": "Ana Quispe",
            "declaracion_jurada": SimpleUploadedFile("dj.pdf", small_pdf())}
    failed = client.post(f"/procedimientos/{CERTIFICATE}/iniciar", form)
    assert failed.status_code == 422
    page = failed.content.decode()
    assert "Ana Quispe" in page and "Vuelva a elegir el archivo" in page
    assert not Case.objects.exists() and not Attachment.objects.exists()   # nothing half-written
    assert _stored_files(storage) == before
    missing = client.post(f"/procedimientos/{CERTIFICATE}/iniciar", {k: v for k, v in form.items() if k != "declaracion_jurada"})
    assert missing.status_code == 422 and "es obligatorio" in missing.content.decode() and not Case.objects.exists()
    renamed = dict(form, dni="45678912", declaracion_jurada=SimpleUploadedFile("dj.pdf", EXE))
    refused = client.post(f"/procedimientos/{CERTIFICATE}/iniciar", renamed)
    assert refused.status_code == 422 and "no es un tipo de archivo admitido" in refused.content.decode()
    assert not Case.objects.exists()

    started = client.post(f"/procedimientos/{CERTIFICATE}/iniciar", dict(form, dni="45678912", declaracion_jurada=SimpleUploadedFile("dj.pdf", small_pdf())))
    assert started.status_code == 302
    case = Case.objects.get()
    attachment = Attachment.objects.get()
    first = case.tasks.get(activity=1)
    assert (attachment.case_id, attachment.task_id, attachment.field_key) == (case.pk, first.pk, "declaracion_jurada")
    assert first.status == "completed" and case.subject == "Certificado digital"
    assert Event.objects.get(task=first, kind="completed").data["declaracion_jurada"] == {"id": attachment.pk, "name": "dj.pdf"}
    page = client.get(f"/casos/{case.pk}/").content.decode()
    assert f'<a href="/adjuntos/{attachment.pk}" download>dj.pdf</a>' in page


def test_the_task_page_takes_the_file(staff):
    _, case, task_json = _certificate_case()   # started through the API, without data
    client = web(staff["personal-mindef"])
    task = Task.objects.get(pk=task_json["id"])
    page = client.get(f"/tareas/{task.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="declaracion_jurada"' in page
    assert f'action="/tareas/{task.pk}/atender-con-archivos"' in page

    storage = Attachment._meta.get_field("file").storage
    before = _stored_files(storage)
    form = {"dni": "4567891", "nombres_apellidos": "Ana Quispe", "declaracion_jurada": SimpleUploadedFile("dj.pdf", small_pdf())}
    failed = client.post(f"/tareas/{task.pk}/atender-con-archivos", form)
    assert failed.status_code == 422
    page = failed.content.decode()
    assert "Ana Quispe" in page and "Vuelva a elegir el archivo" in page
    assert not Attachment.objects.exists() and _stored_files(storage) == before   # nothing half-written
    task.refresh_from_db()
    assert task.is_open

    done = client.post(f"/tareas/{task.pk}/atender-con-archivos", dict(form, dni="45678912", declaracion_jurada=SimpleUploadedFile("dj.pdf", small_pdf())))
    assert done.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.task_id, attachment.field_key, attachment.name) == (task.pk, "declaracion_jurada", "dj.pdf")
    assert Event.objects.get(task=task, kind="completed").data["declaracion_jurada"] == {"id": attachment.pk, "name": "dj.pdf"}
