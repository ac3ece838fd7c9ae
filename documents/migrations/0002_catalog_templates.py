"""The first version of every template of catalog/documents.yaml (later edits: the admin)."""
from django.db import migrations


def load(apps, schema_editor):
    from documents.models import load_catalog_templates

    load_catalog_templates(apps.get_model("documents", "DocumentTemplate"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_documents")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
