"""What an installation holds, as comparable data: every copied table's rows (as `mapro backup`
writes them, parsed) and the SHA-256 of every attachment's bytes read back from the storage.

tests/test_backup_restore.py calls dump() on the test database and runs this module in a
subprocess against the restored installation (`python -m tests.backup_compare`), which prints it as
JSON."""
import hashlib
import io
import json


def dump(using="default") -> dict:
    from cases.models import Attachment
    from ops import archive

    natural = archive._natural_keys(using)
    tables = {}
    for model in archive.copied_models():
        out = io.StringIO()
        archive._serialize_model(model, using, natural, out)
        tables[model._meta.label_lower] = json.loads(out.getvalue())
    files = {}
    for attachment in Attachment.objects.using(using).order_by("pk"):
        with attachment.file.storage.open(attachment.file.name, "rb") as f:
            files[attachment.file.name] = hashlib.sha256(f.read()).hexdigest()
    return {"tables": tables, "files": files}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(dump(), ensure_ascii=False))
