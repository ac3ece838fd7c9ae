"""Shared by the help desk's user stories (tests/test_helpdesk_*.py)."""
import pytest
from django.test import Client


def login(username):
    client = Client()
    assert client.login(username=username, password="clave-segura-123")
    return client


@pytest.fixture(autouse=True)
def ticket_files(tmp_path):
    """Ticket attachments go to a folder of the test, not to var/attachments."""
    from django.core.files.storage import FileSystemStorage

    from helpdesk.models import TicketAttachment

    field = TicketAttachment._meta.get_field("file")
    original = field.storage
    field.storage = FileSystemStorage(location=tmp_path / "tickets")
    yield field.storage
    field.storage = original


def page_message(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""
