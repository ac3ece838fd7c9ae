"""Faster case lists and searches.

Indexes: newest first, with procedure and status in the index (who may see a case and the usual
filter, checked without reading the row); procedure + status filters in date order.

PostgreSQL: the document's vector without positions or weights (strip: a third smaller, and
matching a case no longer unpacks them), and the requester's words in a vector of their own for
the «solicitante» filter. `mapro_es` is now plain 'spanish' (its stemmer knows accented endings:
"instalación" and "instalaciones" share a stem only when the accent is there); accents are
ignored through `mapro_simple` (unaccent, whole words and prefixes).
"""
import importlib

from django.db import migrations, models

_0005 = importlib.import_module("cases.migrations.0005_case_search")
COLUMNS = ("number", "subject", "requester", "unit", "body")


def _pg_text(*columns):
    return " || ' ' || ".join(f"regexp_replace({c}, '[[:punct:]]+', ' ', 'g')" for c in columns)


def _both(columns):
    text = _pg_text(*columns)
    return (f"strip(to_tsvector('mapro_es'::regconfig, {text}) || "
            f"to_tsvector('mapro_simple'::regconfig, {text}))")


PG_TSV = _both(COLUMNS)
PG_TSV_REQUESTER = _both(("requester",))


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS tsv")
    execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS mapro_es")
    execute("CREATE TEXT SEARCH CONFIGURATION mapro_es (COPY = pg_catalog.spanish)")
    execute(f"ALTER TABLE cases_casesearch ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({PG_TSV}) STORED")
    execute("ALTER TABLE cases_casesearch ADD COLUMN tsv_requester tsvector "
            f"GENERATED ALWAYS AS ({PG_TSV_REQUESTER}) STORED")
    execute("CREATE INDEX cases_casesearch_tsv ON cases_casesearch USING gin (tsv)")
    execute("CREATE INDEX cases_casesearch_tsv_requester ON cases_casesearch USING gin (tsv_requester)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS tsv_requester")
    execute("ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS tsv")
    unaccent = _0005._unaccent(schema_editor)
    execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS mapro_es")
    execute("CREATE TEXT SEARCH CONFIGURATION mapro_es (COPY = pg_catalog.spanish)")
    if unaccent:
        execute("ALTER TEXT SEARCH CONFIGURATION mapro_es ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem")
    execute(f"ALTER TABLE cases_casesearch ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({_0005.PG_TSV}) STORED")
    execute("CREATE INDEX cases_casesearch_tsv ON cases_casesearch USING gin (tsv)")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_spanish_names'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_created',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['created_at', 'procedure', 'status'], name='case_list'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['procedure', 'status', 'created_at'], name='case_procedure_status'),
        ),
        migrations.RunPython(forward, backward),
    ]
