"""Idempotency-Key on POST /api/cases and POST /api/tasks/{id}/complete: a client that lost the
answer sends the request again with the same key and gets the first answer, without the work being
done twice."""
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from api import idempotency
from api.models import IdempotencyKey
from cases.models import Case, Event, Task

from .api_client import Api

TICKET = {"asunto": "Impresora", "detalle": "No imprime", "categoria": "Hardware", "ubicacion": "Piso 2"}
START = {"procedure": "S04.03.04.02", "data": TICKET}
VALIDATE = {"data": {"prioridad": "Alta"}, "decision": "Sí"}


def post(api: Api, path: str, body: dict, key: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.client.post(path, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def requester(staff):
    return Api("personal-mindef")


def _validation_task(api) -> int:
    started = post(api, "/api/cases", START, None)
    assert started.status_code == 201, started.content
    [task] = started.json()["open_tasks"]
    return task["id"]


@pytest.mark.django_db
def test_a_retried_start_creates_one_case_and_returns_the_same_number(requester):
    first = post(requester, "/api/cases", START, "inicio-7f3a")
    assert first.status_code == 201, first.content
    retry = post(requester, "/api/cases", START, "inicio-7f3a")
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry.json()["number"] == first.json()["number"]
    assert retry["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1
    # Quoted as a structured-header string, it is the same key.
    assert post(requester, "/api/cases", START, '"inicio-7f3a"').content == first.content
    # Another key is another request: a second case.
    assert post(requester, "/api/cases", START, "inicio-8b21").json()["number"] != first.json()["number"]
    assert Case.objects.count() == 2
    # Without the header nothing changes: each POST starts a case.
    post(requester, "/api/cases", START, None)
    assert Case.objects.count() == 3


@pytest.mark.django_db
def test_a_retried_completion_answers_200_twice_with_one_completion(requester, staff):
    task_id = _validation_task(requester)
    operator = Api("operador-mesa-ayuda")
    path = f"/api/tasks/{task_id}/complete"
    first = post(operator, path, VALIDATE, "atender-1")
    assert first.status_code == 200, first.content
    retry = post(operator, path, VALIDATE, "atender-1")
    assert retry.status_code == 200
    assert retry.content == first.content
    assert Event.objects.filter(task_id=task_id, kind="completed").count() == 1
    assert Task.objects.get(pk=task_id).completed_by.username == "operador-mesa-ayuda"
    # Without the key the same retry cannot tell "done by me" from "done by someone else".
    assert post(operator, path, VALIDATE, None).status_code == 409


@pytest.mark.django_db
def test_the_same_key_with_another_request_is_refused(requester, staff):
    first = post(requester, "/api/cases", START, "clave-1")
    assert first.status_code == 201
    other = post(requester, "/api/cases", {**START, "data": {**TICKET, "detalle": "Otra cosa"}}, "clave-1")
    assert other.status_code == 422
    assert other.json()["error"] == "clave_reutilizada"
    assert "ya se usó con otra solicitud" in other.json()["detail"]
    # Another address with the same key is another request too.
    task_id = first.json()["open_tasks"][0]["id"]
    assert post(Api("operador-mesa-ayuda"), f"/api/tasks/{task_id}/complete", VALIDATE, "clave-1").status_code == 200
    again = post(requester, f"/api/tasks/{task_id}/complete", VALIDATE, "clave-1")
    assert again.status_code == 422 and again.json()["error"] == "clave_reutilizada"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(requester, staff):
    post(requester, "/api/cases", START, "compartida")
    colleague = Api("operador-mesa-ayuda")
    other = post(colleague, "/api/cases", START, "compartida")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_an_error_is_not_kept_so_the_corrected_request_runs(requester):
    bad = {"procedure": "S04.03.04.02", "data": {**TICKET, "categoria": "Astronomía"}}
    first = post(requester, "/api/cases", bad, "k-error")
    assert first.status_code == 422 and first.json()["error"] != "clave_reutilizada"
    assert not IdempotencyKey.objects.filter(key="k-error").exists()
    fixed = post(requester, "/api/cases", START, "k-error")
    assert fixed.status_code == 201
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_invalid_keys_are_refused(requester):
    for key in ("", "x" * 256, "clave\u00f1"):
        response = post(requester, "/api/cases", START, key)
        assert response.status_code == 422, key
        assert response.json()["error"] == "clave_invalida"
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_keys_expire_after_24_hours(requester):
    first = post(requester, "/api/cases", START, "vieja")
    IdempotencyKey.objects.filter(key="vieja").update(created_at=IdempotencyKey.objects.get(key="vieja").created_at
                                                      - timedelta(hours=24, seconds=1))
    again = post(requester, "/api/cases", START, "vieja")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["number"] != first.json()["number"]
    assert Case.objects.count() == 2
    # Expired rows are deleted as requests come in.
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.first().created_at - timedelta(days=2))
    idempotency._last_purge = 0.0
    post(requester, "/api/cases", START, "nueva")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["nueva"]


@pytest.mark.django_db
def test_a_key_in_progress_answers_409_and_a_stale_one_is_taken_over(requester, staff):
    user = staff["personal-mindef"]
    started = post(requester, "/api/cases", START, None)
    path = "/api/cases"
    # A request with this key is running (its row was written, its answer not yet).
    row = IdempotencyKey.objects.create(user=user, key="en-curso", owner="otro",
                                        fingerprint=_fingerprint(path, START))
    busy = post(requester, path, START, "en-curso")
    assert busy.status_code == 409
    assert busy.json() == {"error": "en_proceso", "detail": "La solicitud con esta clave aún se está procesando."}
    assert Case.objects.count() == 1
    # The process that held it died: after MAPRO_IDEMPOTENCY_STALE_SECONDS a retry runs the request.
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=row.created_at - timedelta(minutes=3))
    taken = post(requester, path, START, "en-curso")
    assert taken.status_code == 201
    assert taken.json()["number"] != started.json()["number"]
    assert post(requester, path, START, "en-curso").content == taken.content
    assert Case.objects.count() == 2


def _fingerprint(path, body):
    class Fake:
        method = "POST"

        def get_full_path(self):
            return path

    fake = Fake()
    fake.body = json.dumps(body).encode()
    return idempotency.fingerprint(fake)


@pytest.mark.django_db
def test_the_work_and_its_stored_answer_are_written_together(requester, monkeypatch):
    """A request whose key was taken over while it ran must not store its answer, and its work is
    rolled back with it: the work is done once, by the request that holds the key."""
    from cases import workflow

    original = workflow.start_case

    def start_and_lose_the_key(*args, **kwargs):
        case = original(*args, **kwargs)
        IdempotencyKey.objects.filter(key="perdida").update(owner="otro")   # taken over meanwhile
        return case

    monkeypatch.setattr(workflow, "start_case", start_and_lose_the_key)
    response = post(requester, "/api/cases", START, "perdida")
    assert response.status_code == 409
    assert Case.objects.count() == 0   # the case it started was rolled back

    # And a failure after the work, before the answer is stored, leaves neither.
    def start_and_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("se cayó el proceso")

    monkeypatch.setattr(workflow, "start_case", start_and_fail)
    with pytest.raises(RuntimeError):
        post(requester, "/api/cases", START, "caida")
    assert Case.objects.count() == 0
    assert not IdempotencyKey.objects.filter(key="caida").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path_of", ["start", "complete"])
def test_concurrent_requests_with_one_key_do_the_work_once(staff, path_of):
    requester = Api("personal-mindef")
    if path_of == "start":
        api, path, body = requester, "/api/cases", START
    else:
        api, path, body = Api("operador-mesa-ayuda"), f"/api/tasks/{_validation_task(requester)}/complete", VALIDATE
    cases_before = Case.objects.count()
    barrier = threading.Barrier(4)
    answers = []

    def send():
        try:
            client = Api()
            client.token = api.token
            barrier.wait()
            response = post(client, path, body, "concurrente")
            answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    ok = 201 if path_of == "start" else 200
    statuses = sorted(status for status, _ in answers)
    assert len(answers) == 4 and set(statuses) <= {ok, 409}, answers
    assert ok in statuses
    assert len({content for status, content in answers if status == ok}) == 1   # every success is the same answer
    for status, content in answers:
        if status == 409:
            assert json.loads(content)["detail"] == "La solicitud con esta clave aún se está procesando."
    if path_of == "start":
        assert Case.objects.count() == cases_before + 1
    else:
        task_id = int(path.split("/")[3])
        assert Event.objects.filter(task_id=task_id, kind="completed").count() == 1
