"""Backup and restore of a whole installation: every table of every app and every stored file.

`mapro backup --output FILE` writes a .tar.gz while the system keeps running:

    data/<app>.<model>.json   the rows of each model, in Django's JSON serialization (primary keys kept)
    files/<app>.<model>.<field>/<name>   each stored file, read through its storage (disk or S3)
    manifest.json             when, which mapro, which database, the migrations applied, the row count
                              of each table and the SHA-256 and size of every other member

Every row is read inside one transaction that sees a single snapshot of the database (PostgreSQL:
REPEATABLE READ, READ ONLY; SQLite: a deferred read transaction, which in WAL mode does not stop
writers). A task completed while the backup runs is either wholly in the archive (task, event,
case state) or not at all; files are those the snapshot's rows name.

Left out: content types and permissions (every installation has its own, made by `mapro migrate`;
rows that point to them are written with their natural keys, e.g. ["cases", "case"]), and web
sessions (a restored installation starts with everybody signed out).

`mapro restore FILE` loads such an archive into an empty installation (migrated, no rows): it checks
every member against the manifest first, then writes the rows with their primary keys (raw saves:
no model save() or signal handler rewrites them, so the audit chain comes back as it was) and the
files at their names, all in one transaction. Archives move between SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import tarfile
import tempfile
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files import File
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "mapro-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Made by `mapro migrate` in every installation: not copied; referenced by natural key.
NATURAL = ("contenttypes.contenttype", "auth.permission")
EXCLUDED = (*NATURAL, "sessions.session")
# Tables `mapro migrate` fills with a row of its own (the audit chain's head): an empty installation
# has that row, and the restore replaces it with the archive's.
# Tables a fresh «mapro migrate» fills (data migrations): emptied before the copy is loaded.
SEEDED = ("audit.chainhead", "documents.documenttemplate")
CHUNK = 1 << 20


class ArchiveError(Exception):
    """A backup or restore that cannot go on; the message is for the person running it (Spanish)."""


# --- what is copied ---------------------------------------------------------------------------------
def copied_models() -> list[type[models.Model]]:
    """Every concrete, managed model of every installed app, but the EXCLUDED ones, in a stable
    order (apps as installed, models as declared). Auto-created many-to-many tables travel inside
    the models that declare them, as Django serializes them."""
    return [m for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in EXCLUDED]


def file_fields(model) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _member_for_file(model, f, name: str) -> str:
    return f"files/{model._meta.label_lower}.{f.name}/{name}"


# --- serialization ----------------------------------------------------------------------------------
class _Encoder(DjangoJSONEncoder):
    """Datetimes and times with their microseconds (Django's encoder cuts them to milliseconds,
    which would change the rows, their order and anything hashed from them)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


class _Serializer(JSONSerializer):
    """Django's JSON serializer, with primary keys; foreign keys and many-to-many values as primary
    keys except towards ContentType and Permission, written as natural keys. Many-to-many values
    come from maps read once per model (`m2m`), not one query per row."""

    def __init__(self, natural: dict, m2m: dict):
        super().__init__()
        self.natural, self.m2m = natural, m2m

    def handle_fk_field(self, obj, field):
        names = self.natural.get(field.remote_field.model._meta.label_lower)
        if names is None:
            return super().handle_fk_field(obj, field)
        value = getattr(obj, field.attname)
        self._current[field.name] = None if value is None else names[value]

    def handle_m2m_field(self, obj, field):
        if not field.remote_field.through._meta.auto_created:
            return   # an explicit through model is copied as a model of its own
        values = self.m2m[field.name].get(obj.pk, [])
        names = self.natural.get(field.remote_field.model._meta.label_lower)
        self._current[field.name] = [names[v] for v in values] if names is not None else values


def _natural_keys(using) -> dict:
    from django.contrib.auth.models import Permission

    types = {ct.pk: list(ct.natural_key()) for ct in ContentType.objects.db_manager(using).all()}
    permissions = {pk: [codename, *types[ct]] for pk, codename, ct in
                   Permission.objects.db_manager(using).values_list("pk", "codename", "content_type_id")}
    return {"contenttypes.contenttype": types, "auth.permission": permissions}


def _through_columns(f) -> tuple[str, str]:
    """The attnames of an auto-created many-to-many table's two foreign keys (source, target)."""
    through = f.remote_field.through
    return (through._meta.get_field(f.m2m_field_name()).attname,
            through._meta.get_field(f.m2m_reverse_field_name()).attname)


def _m2m_maps(model, using) -> dict:
    maps = {}
    for f in model._meta.local_many_to_many:
        through = f.remote_field.through
        if not through._meta.auto_created:
            continue
        source, target = _through_columns(f)
        found: dict = {}
        for a, b in through._base_manager.using(using).order_by(source, target).values_list(source, target):
            found.setdefault(a, []).append(b)
        maps[f.name] = found
    return maps


# --- the consistent read ----------------------------------------------------------------------------
@contextmanager
def snapshot(using=DEFAULT_DB_ALIAS):
    """Everything read inside sees the database as it was at one moment, and nothing is written."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise ArchiveError("La copia debe leer la base en una transacción propia.")
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # Not transaction.atomic(): mapro opens SQLite transactions IMMEDIATE, which would take the
        # write lock and make every task completion wait for the backup. A deferred transaction's
        # first read fixes its snapshot; in WAL mode writers go on meanwhile.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            try:
                cursor.execute("SELECT count(*) FROM sqlite_master")
                cursor.fetchone()
                yield
            finally:
                cursor.execute("ROLLBACK")
    else:
        with transaction.atomic(using=using):
            yield


# --- writing an archive -----------------------------------------------------------------------------
@dataclass
class BackupResult:
    path: Path
    manifest: dict
    missing: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


def _hash_file(f) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    f.seek(0)
    while chunk := f.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    f.seek(0)
    return digest.hexdigest(), size


def _add(tar: tarfile.TarFile, name: str, f, members: dict) -> None:
    sha, size = _hash_file(f)
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    tar.addfile(info, f)
    members[name] = {"sha256": sha, "size": size}


def mapro_version() -> str:
    try:
        return metadata.version("mapro")
    except metadata.PackageNotFoundError:
        return "desconocida"


def _serialize_model(model, using, natural, out) -> int:
    """Write the model's rows (in primary-key order) as a JSON array to `out`; return how many."""
    serializer = _Serializer(natural, _m2m_maps(model, using))
    rows = model._base_manager.using(using).order_by("pk").iterator(chunk_size=2000)
    counted = [0]

    def counting():
        for row in rows:
            counted[0] += 1
            yield row

    serializer.serialize(counting(), stream=out, cls=_Encoder, ensure_ascii=False)
    return counted[0]


def backup(output, using=DEFAULT_DB_ALIAS, on_table=None) -> BackupResult:
    """Write the archive to `output` (written beside it under a temporary name, readable by its
    owner only, and moved into place once complete). `on_table(label)` is called after each table
    (progress; tests use it to change the database mid-backup)."""
    output = Path(output)
    connection = connections[using]
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent or ".")
    os.fchmod(fd, 0o600)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(), "mapro_version": mapro_version(),
        "database": {"vendor": connection.vendor, "name": connection.display_name},
        "excluded": list(EXCLUDED),
        "tables": {}, "files": {"count": 0, "bytes": 0}, "missing_files": [], "members": {},
    }
    members = manifest["members"]
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            with snapshot(using):
                manifest["migrations"] = sorted(
                    f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
                natural = _natural_keys(using)
                stored: list[tuple] = []
                for model in copied_models():
                    label = model._meta.label_lower
                    expected = model._base_manager.using(using).count()
                    member = f"data/{label}.json"
                    with tempfile.TemporaryFile() as tmpf:
                        text = io.TextIOWrapper(tmpf, encoding="utf-8", newline="\n")
                        rows = _serialize_model(model, using, natural, text)
                        text.flush()
                        text.detach()
                        if rows != expected:   # cannot happen inside a snapshot; never write a torn copy
                            raise ArchiveError(f"La tabla {label} cambió durante la copia ({expected} → {rows} filas).")
                        _add(tar, member, tmpf, members)
                    manifest["tables"][label] = {"table": model._meta.db_table, "rows": rows, "member": member}
                    for f in file_fields(model):
                        names = (model._base_manager.using(using).exclude(**{f.attname: ""})
                                 .exclude(**{f"{f.attname}__isnull": True}).order_by("pk")
                                 .values_list(f.attname, flat=True))
                        stored += [(model, f, name) for name in names]
                    if on_table:
                        on_table(label)
                # The files the snapshot's rows name, read through their storage (disk, S3...).
                seen = set()
                for model, f, name in stored:
                    member = _member_for_file(model, f, name)
                    if member in seen:
                        continue
                    seen.add(member)
                    try:
                        source = f.storage.open(name, "rb")
                    except (FileNotFoundError, OSError):
                        manifest["missing_files"].append(f"{model._meta.label_lower}.{f.name}: {name}")
                        continue
                    with source, tempfile.TemporaryFile() as tmpf:
                        while chunk := source.read(CHUNK):
                            tmpf.write(chunk)
                        _add(tar, member, tmpf, members)
                    manifest["files"]["count"] += 1
                    manifest["files"]["bytes"] += members[member]["size"]
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, output)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return BackupResult(output, manifest, manifest["missing_files"])


# --- reading an archive -----------------------------------------------------------------------------
def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == str(path)


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())
    except KeyError:
        raise ArchiveError(f"El archivo no es una copia de mapro: no tiene {MANIFEST}.") from None
    except (ValueError, AttributeError):
        raise ArchiveError(f"El {MANIFEST} de la copia no se puede leer.") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"La copia está dañada y no se puede leer entera: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError("El archivo no es una copia de mapro.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(f"La copia tiene el formato {manifest.get('format_version')}; esta versión de mapro "
                           f"restaura el formato {FORMAT_VERSION}.")
    return manifest


def open_archive(path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:*")
    except FileNotFoundError:
        raise ArchiveError(f"No existe el archivo {path}.") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{path} no es un archivo de copia válido (.tar.gz): {exc}") from None


def verify(tar: tarfile.TarFile) -> dict:
    """Check every member against the manifest's SHA-256 and size, and that none is missing or
    extra; return the manifest. Raises ArchiveError naming the first member that does not match."""
    manifest = read_manifest(tar)
    expected = dict(manifest.get("members") or {})
    seen = set()
    try:
        for member in tar:
            name = member.name
            if name == MANIFEST:
                continue
            if not member.isfile() or not _safe_member_name(name):
                raise ArchiveError(f"La copia contiene un miembro no permitido: «{name}».")
            if name in seen:
                raise ArchiveError(f"La copia contiene dos veces el miembro «{name}».")
            seen.add(name)
            if name not in expected:
                raise ArchiveError(f"La copia fue alterada: el miembro «{name}» no figura en el manifiesto.")
            digest, size = hashlib.sha256(), 0
            source = tar.extractfile(member)
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            if digest.hexdigest() != expected[name]["sha256"] or size != expected[name]["size"]:
                raise ArchiveError(f"La copia fue alterada o está dañada: el miembro «{name}» no coincide con "
                                   f"su SHA-256 del manifiesto.")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"La copia está dañada y no se puede leer entera: {exc}") from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise ArchiveError(f"La copia está incompleta: falta el miembro «{missing[0]}».")
    for label, table in manifest.get("tables", {}).items():
        if table.get("member") not in expected:
            raise ArchiveError(f"La copia está incompleta: faltan los datos de {label}.")
    return manifest


# --- restoring --------------------------------------------------------------------------------------
@dataclass
class RestoreResult:
    manifest: dict
    rows: int
    tables: int
    files: int
    warnings: list[str]


def _target_models(manifest) -> dict[str, type[models.Model]]:
    here = {m._meta.label_lower: m for m in copied_models()}
    unknown = sorted(set(manifest["tables"]) - set(here))
    if unknown:
        raise ArchiveError("La copia tiene datos de modelos que esta instalación no tiene: " + ", ".join(unknown)
                           + ". Instale la misma versión de mapro (con las mismas aplicaciones) que hizo la copia.")
    return here


def _check_migrations(manifest, using) -> list[str]:
    applied = {f"{app}.{name}" for app, name in MigrationRecorder(connections[using]).applied_migrations()}
    archived = set(manifest.get("migrations", []))
    missing = sorted(archived - applied)
    if missing:
        raise ArchiveError("La copia se hizo con migraciones que esta instalación no tiene aplicadas ("
                           + ", ".join(missing[:5]) + ("…" if len(missing) > 5 else "")
                           + "). Actualice mapro y ejecute «mapro migrate» antes de restaurar.")
    newer = sorted(applied - archived)
    if newer:
        return ["Esta instalación tiene migraciones posteriores a la copia (" + ", ".join(newer[:5])
                + ("…" if len(newer) > 5 else "") + "): los datos se cargan igual; revise el resultado."]
    return []


def _check_empty(here: dict, using) -> None:
    busy = []
    for label, model in here.items():
        if label in SEEDED:
            continue
        count = model._base_manager.using(using).count()
        if count:
            busy.append(f"{label}: {count} fila{'s' if count != 1 else ''}")
    if busy:
        raise ArchiveError("La instalación de destino no está vacía (" + "; ".join(busy[:6])
                           + ("…" if len(busy) > 6 else "") + "). Restaure en una instalación nueva: una base "
                           "recién creada con «mapro migrate», sin datos cargados (ni la organización ni usuarios).")


def _file_targets(here: dict) -> dict[str, tuple]:
    """files/<app>.<model>.<field>/ prefix -> (model, field)."""
    return {f"files/{label}.{f.name}/": (model, f) for label, model in here.items() for f in file_fields(model)}


def _file_members(tar, manifest, here) -> list[tuple[str, object, str]]:
    targets = _file_targets(here)
    found = []
    for name in sorted(manifest["members"]):
        if not name.startswith("files/"):
            continue
        prefix = name[: name.index("/", len("files/")) + 1] if "/" in name[len("files/"):] else None
        if prefix not in targets:
            raise ArchiveError(f"La copia tiene un archivo de un campo que esta instalación no tiene: «{name}».")
        model, f = targets[prefix]
        found.append((name, f, name[len(prefix):]))
    return found


def _sha256_of(storage, name) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def restore(path, using=DEFAULT_DB_ALIAS) -> RestoreResult:
    connection = connections[using]
    with open_archive(path) as tar:
        manifest = verify(tar)
        here = _target_models(manifest)
        warnings = _check_migrations(manifest, using)
        _check_empty(here, using)
        # Read members in the order they were written: a .tar.gz cannot seek back without
        # decompressing again from its start.
        position = {m.name: i for i, m in enumerate(tar.getmembers())}
        files = sorted(_file_members(tar, manifest, here), key=lambda item: position[item[0]])
        to_write = []
        for member, f, name in files:
            if f.storage.exists(name):
                if _sha256_of(f.storage, name) != manifest["members"][member]["sha256"]:
                    raise ArchiveError(f"El almacenamiento de archivos ya tiene «{name}» con otro contenido; "
                                       f"restaure en un almacenamiento vacío.")
                continue   # the same bytes are there already (an earlier, interrupted restore)
            to_write.append((member, f, name))

        written: list[tuple] = []
        rows = 0
        tables = sorted(((label, here[label], table) for label, table in manifest["tables"].items()),
                        key=lambda item: position[item[2]["member"]])
        try:
            with transaction.atomic(using=using):
                for label in SEEDED:
                    if label in here and label in manifest["tables"]:
                        here[label]._base_manager.using(using).all()._raw_delete(using)
                through_rows: dict = {}
                with connection.constraint_checks_disabled():
                    for label, model, table in tables:
                        loaded = 0
                        stream = tar.extractfile(table["member"])
                        try:
                            objects = serializers.deserialize("json", stream, using=using)
                            for obj in objects:
                                if obj.object._meta.label_lower != label:
                                    raise ArchiveError(f"«{table['member']}» contiene filas de otro modelo.")
                                m2m = obj.m2m_data or {}   # save() forgets it
                                obj.save(using=using, save_m2m=False, force_insert=True)
                                for name, values in m2m.items():
                                    f = model._meta.get_field(name)
                                    through = f.remote_field.through
                                    source, target = _through_columns(f)
                                    through_rows.setdefault(through, []).extend(
                                        through(**{source: obj.object.pk, target: v}) for v in values)
                                loaded += 1
                        except serializers.base.DeserializationError as exc:
                            raise ArchiveError(f"No se pudieron cargar las filas de {label}: {exc}") from None
                        if loaded != table["rows"]:
                            raise ArchiveError(f"{label}: el manifiesto dice {table['rows']} filas y la copia tiene {loaded}.")
                        rows += loaded
                    for through, objs in through_rows.items():
                        # Not .set(): no m2m_changed signal (the audit trail would record each
                        # restored role membership as a new grant).
                        through._base_manager.using(using).bulk_create(objs, batch_size=500)
                # Foreign keys are checked at commit (deferred); check now, to say which table is wrong.
                connection.check_constraints(table_names=[m._meta.db_table for _, m, _ in tables]
                                             + [t._meta.db_table for t in through_rows])
                sequences = connection.ops.sequence_reset_sql(no_style(), [m for _, m, _ in tables])
                if sequences:
                    with connection.cursor() as cursor:
                        for sql in sequences:
                            cursor.execute(sql)
                # The files last, inside the transaction: if one cannot be written, no row stays.
                for member, f, name in to_write:
                    with tar.extractfile(member) as source:
                        content = File(source, name=name)
                        content.size = manifest["members"][member]["size"]
                        saved = f.storage.save(name, content)
                    written.append((f.storage, saved))
                    if saved != name:
                        raise ArchiveError(f"El almacenamiento guardó «{name}» con otro nombre («{saved}»).")
        except BaseException:
            for storage, name in written:
                try:
                    storage.delete(name)
                except Exception:  # noqa: BLE001 - best effort: the error that stopped us matters more
                    pass
            raise
    return RestoreResult(manifest, rows, len(tables), len(files), warnings)
