import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from org.models import Person, Role, Unit


@pytest.fixture
def organization(db):
    call_command("load_organization", verbosity=0)


@pytest.fixture
def make_user(organization):
    """make_user("ana", "operador-mesa-ayuda", unit="ogtie") -> a user holding those roles."""

    def make(username, *roles, unit="uo", password="clave-segura-123"):
        user = get_user_model().objects.create_user(username=username, password=password)
        Person.objects.create(user=user, unit=Unit.objects.get(slug=unit))
        for slug in roles:
            Role.objects.get(slug=slug).members.add(user)
        Role.objects.get(slug="personal-mindef").members.add(user)
        return user

    return make


@pytest.fixture
def staff(make_user):
    """One user per role of the manual, username = role slug (like the demo)."""
    users = {}
    for role in Role.objects.all():
        users[role.slug] = make_user(role.slug, role.slug, unit=role.unit.slug)
    return users


@pytest.fixture(autouse=True, scope="session")
def attachments_storage(tmp_path_factory):
    """Uploaded files go to a folder of the test session, not to var/attachments."""
    from django.core.files.storage import FileSystemStorage

    from cases.models import Attachment

    field = Attachment._meta.get_field("file")
    original = field.storage
    field.storage = FileSystemStorage(location=tmp_path_factory.mktemp("attachments"))
    yield field.storage
    field.storage = original


@pytest.fixture(autouse=True, scope="session")
def audit_trail_emptied_between_tests():
    """A transactional test ends with Django emptying the database (flush: DELETE on SQLite,
    TRUNCATE on PostgreSQL), which the audit trail's append-only triggers refuse (audit migration
    0002). The test database's flush lifts them for its own statements only."""
    import importlib

    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

    PostgreSQL, SQLite = PostgreSQLWrapper.ops_class, SQLiteWrapper.ops_class

    triggers = importlib.import_module("audit.migrations.0002_append_only")
    table = "audit_entry"
    lifted = {
        SQLite: (["DROP TRIGGER IF EXISTS audit_entry_no_delete;"], [triggers.SQLITE_NO_DELETE + ";"]),
        PostgreSQL: ([f"ALTER TABLE {table} DISABLE TRIGGER audit_entry_no_truncate;"],
                     [f"ALTER TABLE {table} ENABLE TRIGGER audit_entry_no_truncate;"]),
    }
    originals = {ops: ops.sql_flush for ops in lifted}

    def wrap(ops):
        def sql_flush(self, style, tables, **kwargs):
            statements = originals[ops](self, style, tables, **kwargs)
            if table in tables and statements:
                before, after = lifted[ops]
                statements = [*before, *statements, *after]
            return statements
        return sql_flush

    for ops in lifted:
        ops.sql_flush = wrap(ops)
    yield
    for ops, original in originals.items():
        ops.sql_flush = original


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real PBKDF2 costs ~0.3 s per user; the stories create dozens of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def second_factor_off(settings):
    """The second factor (org/second_factor.py) is on by default in production and under `make test`,
    but the stories sign the chief, the coordinators and administrators in with `client.force_login`,
    `admin_client` or `Api("jefe-ogtie")` — about the work, not the sign-in. So it is off here for
    every test, and tests/test_second_factor.py (and the directory stories that need it) turn it on
    with `settings.MAPRO_OTP_REQUIRED = True`."""
    settings.MAPRO_OTP_REQUIRED = False
