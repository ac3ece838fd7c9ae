"""The search document of each case and the database's own full-text index over it.

SQLite: an FTS5 table with external content (cases_casesearch), kept in step by three triggers.
Altering cases_casesearch later makes Django rebuild the table on SQLite, which drops these
triggers: such a migration must create them again (SQLITE_TRIGGERS below).

PostgreSQL: two text search configurations, `mapro_es` (a copy of 'spanish') and `mapro_simple`
(a copy of 'simple', whole words for prefix matching), both with `unaccent` before their
dictionary when the extension can be created (PostgreSQL 13+ lets a database owner create it;
where it cannot, searches on PostgreSQL are accent-sensitive); a generated tsvector column
weighted A number and subject, B requester, C unit, D body; a GIN index on it.
Punctuation is turned into spaces before parsing, so "S04.03.04.02-2026-000012" or an e-mail
address splits into words as SQLite's tokenizer splits them.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models, transaction

COLUMNS = ("number", "subject", "requester", "unit", "body")

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE cases_casesearch_fts USING fts5("
    + ", ".join(COLUMNS)
    + ", content='cases_casesearch', content_rowid='case_id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
)
_NEW = ", ".join(f"new.{c}" for c in COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in COLUMNS)
_COLS = ", ".join(COLUMNS)
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER cases_casesearch_ai AFTER INSERT ON cases_casesearch BEGIN
        INSERT INTO cases_casesearch_fts(rowid, {_COLS}) VALUES (new.case_id, {_NEW});
    END""",
    f"""CREATE TRIGGER cases_casesearch_ad AFTER DELETE ON cases_casesearch BEGIN
        INSERT INTO cases_casesearch_fts(cases_casesearch_fts, rowid, {_COLS}) VALUES ('delete', old.case_id, {_OLD});
    END""",
    f"""CREATE TRIGGER cases_casesearch_au AFTER UPDATE ON cases_casesearch BEGIN
        INSERT INTO cases_casesearch_fts(cases_casesearch_fts, rowid, {_COLS}) VALUES ('delete', old.case_id, {_OLD});
        INSERT INTO cases_casesearch_fts(rowid, {_COLS}) VALUES (new.case_id, {_NEW});
    END""",
]


def _pg_text(*columns):
    return " || ' ' || ".join(f"regexp_replace({c}, '[[:punct:]]+', ' ', 'g')" for c in columns)


_PG_PARTS = ((("number", "subject"), "A"), (("requester",), "B"), (("unit",), "C"), (("body",), "D"))
PG_TSV = " || ".join(
    f"setweight(to_tsvector('{config}'::regconfig, {_pg_text(*columns)}), '{weight}')"
    for columns, weight in _PG_PARTS for config in ("mapro_es", "mapro_simple")
)


def _unaccent(schema_editor) -> bool:
    """Whether the unaccent extension is there or could be created now."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
        if cursor.fetchone() is None:
            return False
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except Exception:   # no privilege to create it: accent-sensitive search on PostgreSQL
            return False
    return True


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in [SQLITE_CREATE, *SQLITE_TRIGGERS]:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        unaccent = _unaccent(schema_editor)
        for name, source, dictionary in (("mapro_es", "spanish", "spanish_stem"), ("mapro_simple", "simple", "simple")):
            schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
            schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{source})")
            if unaccent:
                schema_editor.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} "
                                      f"ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {dictionary}")
        schema_editor.execute(f"ALTER TABLE cases_casesearch ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({PG_TSV}) STORED")
        schema_editor.execute("CREATE INDEX cases_casesearch_tsv ON cases_casesearch USING gin (tsv)")
    else:
        raise RuntimeError(f"mapro searches on SQLite or PostgreSQL, not {vendor}")


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS cases_casesearch_{name}")
        schema_editor.execute("DROP TABLE IF EXISTS cases_casesearch_fts")
    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS tsv")
        for name in ("mapro_es", "mapro_simple"):
            schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


def backfill(apps, schema_editor):
    """Documents for the cases that exist already (the same text cases.search writes)."""
    from cases import procedures

    Case, CaseSearch, Event, Comment = (apps.get_model("cases", m) for m in ("Case", "CaseSearch", "Event", "Comment"))
    personal_types = {"dni", "phone", "boolean", "file"}

    def value_text(value):
        if isinstance(value, bool) or value is None or isinstance(value, dict):
            return ""
        if isinstance(value, (list, tuple)):
            return " ".join(value_text(v) for v in value)
        return " ".join(str(value).split())

    def form_text(case, activity, data):
        try:
            sheet = procedures.sheet(case.procedure, case.version)
        except Exception:
            return ""
        if not data or not activity or not sheet.has_activity(activity):
            return ""
        return " ".join(t for f in sheet.activity(activity).form
                        if f.key in data and f.type not in personal_types and not getattr(f, "personal", False)
                        for t in [value_text(data[f.key])] if t)

    rows = []
    for case in Case.objects.select_related("started_by", "requester_unit").defer("state").iterator(chunk_size=500):
        body = [form_text(case, a, d) for a, d in Event.objects.filter(case=case, kind="completed")
                .order_by("created_at", "id").values_list("activity", "data")]
        body += list(Comment.objects.filter(case=case, internal=False).order_by("created_at", "id").values_list("body", flat=True))
        user, unit = case.started_by, case.requester_unit
        full = f"{user.first_name} {user.last_name}".strip()
        rows.append(CaseSearch(case_id=case.pk, number=case.number, subject=case.subject,
                               requester=f"{user.username} {full}".strip()[:300],
                               unit=f"{unit.acronym} {unit.name}"[:300] if unit else "",
                               body="\n".join(t for t in body if t)))
        if len(rows) >= 500:
            CaseSearch.objects.bulk_create(rows)
            rows = []
    CaseSearch.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_case_file'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseSearch',
            fields=[
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search', serialize=False, to='cases.case')),
                ('number', models.CharField(max_length=40)),
                ('subject', models.CharField(blank=True, default='', max_length=200)),
                ('requester', models.CharField(blank=True, default='', max_length=300)),
                ('unit', models.CharField(blank=True, default='', max_length=300)),
                ('body', models.TextField(blank=True, default='')),
            ],
            options={
                'verbose_name': 'documento de búsqueda',
                'verbose_name_plural': 'documentos de búsqueda',
            },
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['created_at', 'id'], name='case_created'),
        ),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
