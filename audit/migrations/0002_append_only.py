"""The audit trail is append-only in the database itself: triggers refuse to delete an entry or to
change one, except the sealer's single step of sealing an unsealed entry (seq, prev_hash, hash and
sealed_at set, every other column as it was). On PostgreSQL TRUNCATE is refused too. The chain's
head row is created here.

Someone with the database owner's rights can still drop the triggers: that is what the hash chain is
for (`mapro audit verify`). The test suite lifts them while it empties its own database between
tests (tests/conftest.py)."""
from django.db import migrations

CONTENT = ("id", "created_at", "actor_id", "actor_name", "ip", "action", "object_type", "object_id", "label",
           "before", "after", "personal")

REFUSE_CHANGE = "audit_entry: una entrada de auditoría no se modifica (solo se sella una vez)"
REFUSE_DELETE = "audit_entry: las entradas de auditoría no se borran"

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
            RAISE EXCEPTION '{REFUSE_DELETE}';
        END IF;
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash <> ''
           AND ({", ".join("NEW." + c for c in CONTENT)}) IS NOT DISTINCT FROM ({", ".join("OLD." + c for c in CONTENT)})
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{REFUSE_CHANGE}';
    END $$""",
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_guard()",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_guard()",
]

SQLITE_NO_UPDATE = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash <> '' AND "
    + " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in CONTENT)
    + f") BEGIN SELECT RAISE(ABORT, '{REFUSE_CHANGE}'); END"
)
SQLITE_NO_DELETE = (
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSE_DELETE}'); END"
)
SQLITE = [SQLITE_NO_UPDATE, SQLITE_NO_DELETE]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, ()):
            schema_editor.execute(sql, params=None)

    return run


def create_head(apps, schema_editor):
    ChainHead = apps.get_model("audit", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(_run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})),
    ]
