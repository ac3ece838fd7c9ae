"""`mapro backup` and `mapro restore`: a consistent archive of the running system, restored into a
fresh installation with the same cases, tasks, history, conversation, files and audit chain."""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection

from cases import workflow
from cases.models import Attachment, Case, Event, Task
from ops import archive

from .api_client import Api, small_pdf
from .backup_compare import dump
from .walker import Walker, scripted

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = "S04.03.04.02"
TICKET = {"asunto": "Red lenta", "detalle": "La red del piso 4 está lenta", "categoria": "Red e Internet", "ubicacion": "Piso 4"}
# One per test process: several runs (SQLite and PostgreSQL, other people's) may share the server.
RESTORE_DB = f"mapro_restore_test_{os.getpid()}"

pytestmark = pytest.mark.django_db(transaction=True)   # the backup reads in a transaction of its own


@pytest.fixture
def office(staff, make_user):
    """A little of everything: a support case walked to its end through the API, an open case with
    a public comment, an internal note and two attachments, an Idempotency-Key, an admin log entry
    (points to a content type) and a permission given to a user; the audit chain sealed."""
    walker = Walker()
    done, _ = walker.run(SUPPORT, "personal-mindef", scripted({2: ["Sí"], 5: ["Sí"]}))
    requester = Api("personal-mindef")
    started = requester.client.post("/api/cases", json.dumps({"procedure": SUPPORT, "data": TICKET}),
                                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {requester.token}",
                                    HTTP_IDEMPOTENCY_KEY="copia-1")
    assert started.status_code == 201, started.content
    case_id = started.json()["id"]
    assert requester.post(f"/api/cases/{case_id}/comments", {"body": "¿Alguna novedad?"}).status_code == 201
    operator = Api("operador-mesa-ayuda")
    assert operator.post(f"/api/cases/{case_id}/comments", {"body": "Revisar el switch", "internal": True}).status_code == 201
    assert requester.upload(case_id, "acta.pdf").status_code == 201
    assert operator.upload(case_id, "informe.txt", content="Informe técnico: switch del piso 4\n".encode(),
                           internal=True).status_code == 201
    admin = make_user("administradora")
    admin.user_permissions.add(Permission.objects.get(codename="view_case"))
    LogEntry.objects.log_actions(admin.pk, [Case.objects.get(pk=case_id)], ADDITION)
    _seal()
    return {"completed": done["id"], "open": case_id}


def _seal():
    if apps.is_installed("audit"):
        call_command("audit", "seal", stdout=io.StringIO())


# --- a fresh installation to restore into -----------------------------------------------------------
def _server_url() -> str:
    """postgres://… of the server the tests use, or of the machine's default one."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return "postgres://root@127.0.0.1:5432"


def _postgres_admin():
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(f"{_server_url()}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Sin servidor PostgreSQL para restaurar: {exc}")


class Installation:
    """A second mapro installation (database, var folder, attachments folder) run by subprocesses."""

    def __init__(self, vendor, tmp_path):
        self.vendor = vendor
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAPRO_ATTACHMENTS_S3")}
        self.env.update(DJANGO_SETTINGS_MODULE="mapro.settings", MAPRO_VAR_DIR=str(tmp_path / "var"),
                        MAPRO_ATTACHMENTS_DIR=str(tmp_path / "adjuntos"), MAPRO_SECRET_KEY="x" * 60)
        if vendor == "sqlite":
            self.env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restaurada.sqlite3'}"
        else:
            with _postgres_admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {RESTORE_DB}")
                admin.execute(f"CREATE DATABASE {RESTORE_DB}")
            self.env["DATABASE_URL"] = f"{_server_url()}/{RESTORE_DB}"

    def run(self, *args, module="mapro.cli", check=True):
        command = [sys.executable, *(["-m", module] if module else []), *args]
        result = subprocess.run(command, cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=600)
        if check:
            assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
        return result

    def drop(self):
        if self.vendor == "postgresql":
            with _postgres_admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {RESTORE_DB} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request, tmp_path):
    """An empty installation: migrated, nothing loaded. Same vendor as the tests' database, and the
    other one too (a backup moves between SQLite and PostgreSQL)."""
    installation = Installation(request.param, tmp_path / "destino")
    try:
        installation.run("migrate", "--noinput", "-v", "0")
        yield installation
    finally:
        installation.drop()


def _comparable(data: dict) -> dict:
    """PostgreSQL's jsonb keeps object keys in its own order; compare the parsed values."""
    return json.loads(json.dumps(data, sort_keys=True))


def test_a_backup_restores_into_a_fresh_installation_with_everything(office, fresh, tmp_path):
    path = tmp_path / "copia.tar.gz"
    out = io.StringIO()
    call_command("backup", output=str(path), stdout=out)
    assert f"Copia escrita en {path}" in out.getvalue()
    assert path.stat().st_mode & 0o777 == 0o600   # personal data: readable by its owner only
    source = dump()
    assert len(source["files"]) == 2
    assert {c["fields"]["body"] for c in source["tables"]["cases.comment"]} == {"¿Alguna novedad?", "Revisar el switch"}

    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[-1] == "manifest.json"
    assert {"created_at", "mapro_version", "database", "tables", "members", "migrations"} <= set(manifest)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"]["cases.case"]["rows"] == Case.objects.count() == 2
    assert manifest["tables"]["cases.event"]["rows"] == Event.objects.count()
    assert manifest["files"]["count"] == 2
    for a in Attachment.objects.all():
        assert manifest["members"][f"files/cases.attachment.file/{a.file.name}"]["sha256"] == a.sha256
    assert "sessions.session" not in manifest["tables"] and "contenttypes.contenttype" not in manifest["tables"]

    restored = fresh.run("restore", str(path))
    assert "Restaurada la copia" in restored.stdout and "2 archivos" in restored.stdout
    target = json.loads(fresh.run(module="tests.backup_compare").stdout)
    assert _comparable(target["files"]) == _comparable(source["files"])
    for label, rows in source["tables"].items():
        assert _comparable(target["tables"][label]) == _comparable(rows), label
    # The same cases, tasks, history and conversation, by their numbers and keys.
    numbers = {c["fields"]["number"] for c in target["tables"]["cases.case"]}
    assert numbers == set(Case.objects.values_list("number", flat=True))
    # Natural keys found this installation's own content types and permissions.
    [log] = target["tables"]["admin.logentry"]
    assert log["fields"]["content_type"] == ["cases", "case"]
    if apps.is_installed("audit"):
        verified = fresh.run("audit", "verify")
        assert "verificada" in verified.stdout
        assert target["tables"]["audit.entry"] and all(e["fields"]["hash"] for e in target["tables"]["audit.entry"])

    # The restored installation works: the open case goes on where it was, and new rows get new
    # keys (PostgreSQL's sequences were moved past the restored ones).
    went_on = fresh.run("-c", f"""
import django; django.setup()
from django.contrib.auth import get_user_model
from cases import workflow
from cases.models import Case
User = get_user_model()
task = Case.objects.get(pk={office["open"]}).tasks.get(status="open")
workflow.complete_task(task.pk, User.objects.get(username="operador-mesa-ayuda"), {{"prioridad": "Alta"}}, "Sí")
print(workflow.start_case(User.objects.get(username="personal-mindef"), "{SUPPORT}", data={TICKET!r}).number)
""", module=None)
    number = went_on.stdout.strip().splitlines()[-1]
    assert number.startswith(SUPPORT) and number.endswith("000003") and number not in numbers

    again = fresh.run("restore", str(path), check=False)
    assert again.returncode != 0 and "no está vacía" in again.stderr


def test_a_tampered_or_damaged_archive_is_refused_naming_the_member(office, tmp_path):
    good = tmp_path / "copia.tar.gz"
    call_command("backup", output=str(good), stdout=io.StringIO())
    out = io.StringIO()
    call_command("restore", str(good), verify_only=True, stdout=out)
    assert "completa e íntegra" in out.getvalue()

    attachment = Attachment.objects.filter(name="acta.pdf").get()
    file_member = f"files/cases.attachment.file/{attachment.file.name}"

    def rewritten(name, change):
        target = tmp_path / name
        with tarfile.open(good) as src, tarfile.open(target, "w:gz") as dst:
            for member in src.getmembers():
                data = src.extractfile(member).read()
                data = change(member.name, data)
                if data is None:
                    continue
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
        return target

    cases_changed = rewritten("casos.tar.gz", lambda n, d: d.replace(b"Red lenta", b"Red rapida") if n == "data/cases.case.json" else d)
    file_changed = rewritten("archivo.tar.gz", lambda n, d: d + b"%" if n == file_member else d)
    missing = rewritten("falta.tar.gz", lambda n, d: None if n == "data/cases.event.json" else d)
    for path, expected in ((cases_changed, "«data/cases.case.json»"), (file_changed, f"«{file_member}»"),
                           (missing, "«data/cases.event.json»")):
        with pytest.raises(CommandError) as refused:
            call_command("restore", str(path), stdout=io.StringIO())
        assert expected in str(refused.value), str(refused.value)
    assert "alterada" in str(pytest.raises(CommandError, call_command, "restore", str(cases_changed)).value)

    not_an_archive = tmp_path / "nada.tar.gz"
    not_an_archive.write_bytes(b"no es una copia")
    with pytest.raises(CommandError, match="no es un archivo de copia"):
        call_command("restore", str(not_an_archive))
    truncated = tmp_path / "cortada.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CommandError):
        call_command("restore", str(truncated))


def test_restore_refuses_an_installation_that_has_data(office, tmp_path):
    path = tmp_path / "copia.tar.gz"
    call_command("backup", output=str(path), stdout=io.StringIO())
    cases = Case.objects.count()
    with pytest.raises(CommandError, match="no está vacía") as refused:
        call_command("restore", str(path))
    assert "cases.case: 2 filas" in str(refused.value)
    assert Case.objects.count() == cases


def test_the_backup_is_one_snapshot_while_tasks_are_being_completed(staff, tmp_path):
    """Another thread completes tasks all along; and one completion is made, and committed, after
    the cases table was read but before tasks and events were: the archive must not show it."""
    requester, operator = staff["personal-mindef"], staff["operador-mesa-ayuda"]
    cases = [workflow.start_case(requester, SUPPORT, data=TICKET) for _ in range(12)]
    pending = [c.tasks.get(status="open").pk for c in cases]
    mid_backup = pending.pop()
    stop = threading.Event()
    completed_meanwhile = []

    def keep_completing():
        try:
            while pending and not stop.is_set():
                task_id = pending.pop(0)
                workflow.complete_task(task_id, operator, {"prioridad": "Media"}, "Sí")
                completed_meanwhile.append(task_id)
        finally:
            connection.close()

    def complete_now(task_id):
        try:
            workflow.complete_task(task_id, operator, {"prioridad": "Alta"}, "Sí")
        finally:
            connection.close()

    def on_table(label):
        if label == "cases.case":
            worker = threading.Thread(target=complete_now, args=(mid_backup,))
            worker.start()
            worker.join()   # committed before the backup reads tasks and events

    background = threading.Thread(target=keep_completing)
    background.start()
    try:
        result = archive.backup(tmp_path / "copia.tar.gz", on_table=on_table)
    finally:
        stop.set()
        background.join()
    assert Task.objects.get(pk=mid_backup).status == "completed"   # it happened, after the snapshot

    with tarfile.open(result.path) as tar:
        data = {label: json.loads(tar.extractfile(t["member"]).read()) for label, t in result.manifest["tables"].items()}
    for label, table in result.manifest["tables"].items():
        assert table["rows"] == len(data[label]), label
    tasks = {t["pk"]: t["fields"] for t in data["cases.task"]}
    cases_ = {c["pk"]: c["fields"] for c in data["cases.case"]}
    completions = {}
    for e in data["cases.event"]:
        assert e["fields"]["case"] in cases_
        assert e["fields"]["task"] is None or e["fields"]["task"] in tasks
        if e["fields"]["kind"] == "completed":
            completions.setdefault(e["fields"]["case"], []).append(e["fields"]["task"])
    assert tasks[mid_backup]["status"] == "open"
    assert mid_backup not in {t for ts in completions.values() for t in ts}
    for pk, task in tasks.items():
        assert task["case"] in cases_
        assert (task["status"] == "completed") == (pk in completions.get(task["case"], [])), pk
    for pk, case in cases_.items():
        # Each completion moves the case's lock version on by one: the case row, its tasks and its
        # events were read at the same moment.
        assert case["lock_version"] == len(completions.get(pk, [])), pk
    offered = {o["fields"]["task"] for o in data["cases.taskoffer"]}
    assert all(tasks[t]["status"] == "open" for t in offered)


def test_a_file_missing_from_the_storage_is_reported(office, tmp_path, attachments_storage):
    attachment = Attachment.objects.filter(name="acta.pdf").get()
    attachments_storage.delete(attachment.file.name)
    path = tmp_path / "copia.tar.gz"
    with pytest.raises(CommandError, match="faltan 1 archivos"):
        call_command("backup", output=str(path), stdout=io.StringIO())
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["missing_files"] == [f"cases.attachment.file: {attachment.file.name}"]
    assert hashlib.sha256(small_pdf()).hexdigest() == attachment.sha256
