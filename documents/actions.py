"""Changes to documents: each one function, one transaction, one audit entry.

Everything is checked first (who may, the document's status, the input); then the rows, and the
PDF files through the attachments storage, are written together. A file written for a change that
does not commit is deleted again, so neither a row without its file nor a file without its row
stays. Who may read or act is decided by cases.access (documents section).

The life of an issued document: proyecto (drafted, edited) -> visado (visto bueno; the version
vouched for is frozen) -> numbered (issue: the number is taken in the same transaction as the
numbered version, documents.numbering) -> firmado (the signed PDF of the current version, verified
before it is accepted; the version is frozen and the signed file's hash stored) -> enviado (through
the document-management adapter, documents.sistradoc). A received document is registered as
recibido. Annulment keeps the number: it stays recorded and is never handed out again. Editing a
frozen version writes a new version and takes the document back to proyecto (a visto bueno or a
signature stays recorded against the version it was given to).
"""
from __future__ import annotations

import hashlib
import threading

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

import audit
from cases import access
from cases.workflow import Conflict, Forbidden, Invalid, WorkflowError

from . import numbering, render, signing, sistradoc
from .models import Approval, Classification, Document, DocumentTemplate, DocumentVersion, Signature, default_unit

SUBJECT_MAX = 300
TEXT_MAX = 20_000
PDF_MAX = 20 * 1024 * 1024


# --- checks ---------------------------------------------------------------------------------
def _text(value, key: str, label: str, limit: int, *, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"«{label}» debe ser texto.", {key: "debe ser texto"})
    text = value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Invalid(f"«{label}» contiene caracteres no válidos.", {key: "caracteres no válidos"})
    if required and not text:
        raise Invalid(f"Escriba {label.lower()}.", {key: "obligatorio"})
    if len(text) > limit:
        raise Invalid(f"«{label}» admite como máximo {limit} caracteres (tiene {len(text)}).", {key: "demasiado largo"})
    return text


def _classification(value, default: str) -> str:
    if value in (None, ""):
        return default
    if not isinstance(value, str):
        raise Invalid("La clasificación debe ser texto.", {"classification": "debe ser texto"})
    by_label = {label.lower(): v for v, label in Classification.choices}
    key = value.strip().lower()
    found = key if key in Classification.values else by_label.get(key)
    if not found:
        raise Invalid(f"Clasificación desconocida «{value}»: use PÚBLICO, RESERVADO, CONFIDENCIAL o SECRETO.",
                      {"classification": "desconocida"})
    return found


def _folios(value) -> int:
    if value in (None, ""):
        return 1
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise Invalid("Los folios deben ser un número entero.", {"folios": "número entero"}) from None
    if not 1 <= n <= 10_000:
        raise Invalid("Los folios deben estar entre 1 y 10 000.", {"folios": "fuera de rango"})
    return n


def _data(value) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise Invalid("«data» debe ser un objeto con los campos del documento.", {"data": "debe ser un objeto"})
    for key, item in value.items():
        if isinstance(item, str) and len(item) > TEXT_MAX:
            raise Invalid(f"«{key}» admite como máximo {TEXT_MAX} caracteres.", {f"data.{key}": "demasiado largo"})
    return value


def _check(user, document: Document, action: str, statuses: tuple[str, ...], what: str) -> None:
    found = access.document_refusal(user, document, action)
    if found:
        raise Forbidden(found)
    if document.status not in statuses:
        raise Conflict(f"No se puede {what}: el documento está {document.get_status_display().lower()}.")


def _lock(document: Document) -> Document:
    """The document's row, locked for the change, re-read (another change may have come first)."""
    return Document.objects.select_for_update(of=("self",)).select_related("case", "template", "created_by").get(pk=document.pk)


# --- versions and files ---------------------------------------------------------------------
def _pdf_version(document: Document, user, data: dict, n: int, pdf: bytes | None = None) -> DocumentVersion:
    """A new version row (unsaved) with its PDF written to the storage."""
    content = pdf if pdf is not None else _render(document, data)
    version = DocumentVersion(document=document, n=n, template=document.template, data=data,
                              sha256=hashlib.sha256(content).hexdigest(), created_by=user)
    version.pdf.save(f"v{n}.pdf", ContentFile(content), save=False)
    _discard_on_rollback(version.pdf)
    return version


def _render(document: Document, data: dict) -> bytes:
    """The version's PDF, prepared for signing (documents.signing.prepare): the bytes stored and
    hashed are exactly those sent to the signer, so the signed file is checked against them."""
    try:
        return signing.prepare(render.render_pdf(document, data))
    except render.TemplateError as exc:
        raise Invalid(str(exc), {"template": str(exc)}) from None
    except signing.SigningError as exc:
        raise Invalid(str(exc)) from None


_local = threading.local()


def _discard_on_rollback(fieldfile) -> None:
    """Remember a file written by the running action (_Files), to delete it if the action fails."""
    written = getattr(_local, "written", None)
    if written is not None:
        written.append((fieldfile.storage, fieldfile.name))


class _Files:
    """Around one action: the files it writes are deleted again if it raises (nothing committed)."""

    def __enter__(self):
        _local.written = []
        return self

    def __exit__(self, kind, exc, tb):
        written, _local.written = _local.written, None
        if kind is not None:
            for storage, name in written:
                if name and storage.exists(name):
                    storage.delete(name)
        return False


# --- drafting and editing -------------------------------------------------------------------
def draft_document(user, case, template: DocumentTemplate, data: dict | None = None, *, task=None,
                   subject=None, classification=None, recipients=None, sender=None, reference=None,
                   folios=None, annexes=None) -> Document:
    """A new document of a case, from a template, prefilled from the case; version 1 its PDF."""
    if case is None or not access.may_view(user, case):
        from cases.workflow import NotFound

        raise NotFound("No existe el caso.")
    if not access.may_draft_documents(user, case):
        raise Forbidden("Redactan documentos del caso el personal de la OGTIE del procedimiento, la jefatura y las coordinaciones.")
    if template is None:
        raise Invalid("Elija la plantilla del documento.", {"template": "obligatorio"})
    if not template.applies_to(case.procedure):
        raise Invalid(f"La plantilla «{template.name}» no corresponde al procedimiento {case.procedure}.",
                      {"template": "otro procedimiento"})
    if task is not None and task.case_id != case.pk:
        raise Invalid("La tarea no pertenece a este caso.", {"task": "otro caso"})
    data = _data(data)
    info = render.document_types().get(template.type)
    if info is None:
        raise Invalid(f"El tipo de documento «{template.type}» no está en el catálogo.", {"template": "tipo desconocido"})
    document = Document(
        case=case, task=task, activity=task.activity if task is not None else None, template=template,
        type=template.type, series=info["series"], year=timezone.localdate().year, issuing_unit=default_unit(),
        classification=_classification(classification, template.classification),
        subject=_text(subject, "subject", "Asunto", SUBJECT_MAX) or (case.subject or template.name)[:SUBJECT_MAX],
        sender=_text(sender, "sender", "Remitente", 300) or access.display_name(user),
        recipients=_text(recipients, "recipients", "Destinatarios", 2000),
        reference=_text(reference, "reference", "Referencia", 300),
        folios=_folios(folios), annexes=_text(annexes, "annexes", "Anexos", 2000),
        created_by=user)
    with _Files(), transaction.atomic():
        document.save()
        version = _pdf_version(document, user, data, 1)
        version.save()
        audit.record("document.drafted", actor=user, obj=case, after={
            "document": document.pk, "template": template.slug, "template_version": template.version,
            "type": document.type, "classification": document.classification, "sha256": version.sha256})
    return document


def edit_document(user, document: Document, data: dict | None = None, **fields) -> Document:
    """New data or heading fields: the current version rewritten, or, if it is frozen (visto bueno
    or signature), a new version; the document goes back to proyecto."""
    _check(user, document, "edit", (Document.Status.DRAFT, Document.Status.APPROVED, Document.Status.SIGNED), "editar")
    data = _data(data)
    changes = {}
    if "subject" in fields and fields["subject"] is not None:
        changes["subject"] = _text(fields["subject"], "subject", "Asunto", SUBJECT_MAX, required=True)
    for key, label, limit in (("sender", "Remitente", 300), ("recipients", "Destinatarios", 2000),
                              ("reference", "Referencia", 300), ("annexes", "Anexos", 2000)):
        if fields.get(key) is not None:
            changes[key] = _text(fields[key], key, label, limit)
    if fields.get("folios") is not None:
        changes["folios"] = _folios(fields["folios"])
    if fields.get("classification") is not None:
        changes["classification"] = _classification(fields["classification"], document.classification)
    with _Files(), transaction.atomic():
        document = _lock(document)
        _check(user, document, "edit", (Document.Status.DRAFT, Document.Status.APPROVED, Document.Status.SIGNED), "editar")
        before = {k: getattr(document, k) for k in changes}
        for key, value in changes.items():
            setattr(document, key, value)
        current = document.current_version()
        merged = {**current.data, **data}
        old_name = None
        if current.frozen:
            version = _pdf_version(document, user, merged, current.n + 1)
            document.status = Document.Status.DRAFT
        else:
            version, old_name = current, current.pdf.name
            content = _render(document, merged)
            version.data, version.sha256 = merged, hashlib.sha256(content).hexdigest()
            version.pdf.save(f"v{version.n}.pdf", ContentFile(content), save=False)
            _discard_on_rollback(version.pdf)
        version.save()
        document.updated_at = timezone.now()
        document.save()
        if old_name:
            storage = version.pdf.storage
            transaction.on_commit(lambda: storage.delete(old_name) if storage.exists(old_name) else None)
        audit.record("document.edited", actor=user, obj=document.case or document, before=before, after={
            "document": document.pk, "version": version.n, **changes, "sha256": version.sha256})
    return document


# --- visto bueno, number, signature ---------------------------------------------------------
def approve(user, document: Document, note: str = "") -> Approval:
    """A visto bueno on the current version, which is frozen from then on."""
    note = _text(note, "note", "Nota", 300)
    _check(user, document, "approve", (Document.Status.DRAFT, Document.Status.APPROVED), "dar visto bueno")
    with transaction.atomic():
        document = _lock(document)
        _check(user, document, "approve", (Document.Status.DRAFT, Document.Status.APPROVED), "dar visto bueno")
        version = document.current_version()
        if version.approvals.filter(user=user).exists():
            raise Conflict("Usted ya dio visto bueno a esta versión.")
        version.frozen = True
        version.save(update_fields=["frozen"])
        approval = Approval.objects.create(document=document, version=version, user=user, sha256=version.sha256, note=note)
        document.status = Document.Status.APPROVED
        document.updated_at = timezone.now()
        document.save(update_fields=["status", "updated_at"])
        audit.record("document.approved", actor=user, obj=document.case or document, after={
            "document": document.pk, "version": version.n, "sha256": version.sha256})
    return approval


def issue(user, document: Document) -> Document:
    """Take the document's number (no gap, no duplicate: documents.numbering) and write the
    numbered version, in one transaction."""
    _check(user, document, "issue", (Document.Status.DRAFT, Document.Status.APPROVED), "numerar")
    if not document.type_info["numbered"]:
        raise Conflict(f"Un documento de tipo {document.type_label.lower()} no lleva número propio.")
    with _Files(), transaction.atomic():
        document = _lock(document)
        _check(user, document, "issue", (Document.Status.DRAFT, Document.Status.APPROVED), "numerar")
        if document.number:
            raise Conflict(f"El documento ya tiene número: {document.number}.")
        info = document.type_info
        n, number = numbering.issue_number(document.series, document.issuing_unit, document.year,
                                           pattern=info["pattern"], type_label=info["label"])
        document.sequence_number, document.number = n, number
        document.issued_at, document.issued_by = timezone.now(), user
        current = document.current_version()
        version = _pdf_version(document, user, current.data, current.n + 1)
        version.save()
        document.updated_at = timezone.now()
        document.save()
        audit.record("document.issued", actor=user, obj=document.case or document, after={
            "document": document.pk, "number": number, "version": version.n, "sha256": version.sha256})
    return document


def _verify(signed: bytes, version: DocumentVersion) -> dict:
    """documents.signing verifies the PAdES signature and that the signed revision is exactly the
    version's PDF (its recorded hash) plus the signature."""
    found = signing.verify(signed, expected_original_sha256=version.sha256)
    return {"valid": found.valid, "detail": found.reason, "signer": found.signer_name, "dni": found.signer_dni or "",
            "serial": found.signer_serial or "", "subject": found.signer_subject,
            "signed_at": found.signed_at.isoformat() if found.signed_at else "", "intact": found.intact,
            "signatures": len(found.signatures)}


def sign(user, document: Document, signed_pdf: bytes) -> Signature:
    """Accept the signed PDF of the current version, after its signature is verified; the version is
    frozen and the signed file's hash stored."""
    _check(user, document, "sign", (Document.Status.DRAFT, Document.Status.APPROVED), "firmar")
    if document.type_info["numbered"] and not document.number:
        raise Conflict("Numere el documento antes de firmarlo: la firma cubre el número impreso.")
    if not isinstance(signed_pdf, bytes | bytearray) or not signed_pdf:
        raise Invalid("Adjunte el PDF firmado.", {"file": "obligatorio"})
    if len(signed_pdf) > PDF_MAX:
        raise Invalid("El PDF firmado supera los 20 MB.", {"file": "demasiado grande"})
    current = document.current_version()
    result = _verify(bytes(signed_pdf), current)
    if not result.get("valid"):
        message = result.get("detail") or "La firma del PDF no es válida."
        raise Invalid(message, {"file": message})
    with _Files(), transaction.atomic():
        document = _lock(document)
        _check(user, document, "sign", (Document.Status.DRAFT, Document.Status.APPROVED), "firmar")
        version = document.current_version()
        if version.pk != current.pk:
            raise Conflict("El documento cambió mientras lo firmaba; firme la versión vigente.")
        signature = Signature(document=document, version=version, user=user,
                              sha256=hashlib.sha256(signed_pdf).hexdigest(),
                              signer=str(result.get("signer", ""))[:300], verification=result)
        signature.signed_pdf.save("firmado.pdf", ContentFile(bytes(signed_pdf)), save=False)
        _discard_on_rollback(signature.signed_pdf)
        signature.save()
        version.frozen = True
        version.save(update_fields=["frozen"])
        document.status = Document.Status.SIGNED
        document.updated_at = timezone.now()
        document.save(update_fields=["status", "updated_at"])
        audit.record("document.signed", actor=user, obj=document.case or document, after={
            "document": document.pk, "version": version.n, "sha256": signature.sha256, "signer": signature.signer})
    return signature


# --- sending, annulment, reception ----------------------------------------------------------
class SendFailed(WorkflowError):
    status, code = 502, "envio_fallido"


def _send_through_adapter(document: Document) -> str:
    """The registration number the document-management system gives (documents.sistradoc; the
    default adapter keeps the register only and answers the document's own number)."""
    version = document.current_version()
    signature = document.signatures.filter(version=version).order_by("-id").first()
    stored = signature.signed_pdf if signature else version.pdf
    with stored.open("rb") as f:
        content = f.read()
    payload = sistradoc.SendPayload(
        document_type=document.type_label, number=document.number, sender_unit=document.issuing_unit.rsplit("-", 1)[-1],
        recipient_unit=document.recipients.split("\n")[0][:120], subject=document.subject, folios=document.folios,
        pdf=content, annexes=tuple(a.strip() for a in document.annexes.split("\n") if a.strip()),
        classification=Classification(document.classification).label)
    try:
        return sistradoc.get_adapter().send(payload).registration_number
    except sistradoc.SistradocError as exc:
        raise SendFailed(str(exc)) from None


def send(user, document: Document) -> Document:
    _check(user, document, "send", (Document.Status.SIGNED,), "enviar")
    with transaction.atomic():
        document = _lock(document)
        _check(user, document, "send", (Document.Status.SIGNED,), "enviar")
        registration = _send_through_adapter(document)
        document.status, document.sent_at, document.registration = Document.Status.SENT, timezone.now(), registration[:120]
        document.updated_at = timezone.now()
        document.save(update_fields=["status", "sent_at", "registration", "updated_at"])
        audit.record("document.sent", actor=user, obj=document.case or document, after={
            "document": document.pk, "number": document.number, "registration": document.registration})
    return document


def annul(user, document: Document, reason: str) -> Document:
    """Annul a document; its number, if issued, stays recorded and is never given again."""
    reason = _text(reason, "reason", "El motivo", 300, required=True)
    _check(user, document, "annul", tuple(s for s in Document.Status.values if s != Document.Status.ANNULLED), "anular")
    with transaction.atomic():
        document = _lock(document)
        _check(user, document, "annul", tuple(s for s in Document.Status.values if s != Document.Status.ANNULLED), "anular")
        before = document.status
        document.status, document.annulled_at, document.annulled_by = Document.Status.ANNULLED, timezone.now(), user
        document.annul_reason = reason
        document.updated_at = timezone.now()
        document.save()
        audit.record("document.annulled", actor=user, obj=document.case or document, before={"status": before},
                     after={"document": document.pk, "number": document.number, "reason": reason})
    return document


def receive(user, *, type: str, number: str, sender: str, subject: str, recipients: str = "", case=None,
            classification=None, folios=None, annexes: str = "", pdf: bytes | None = None) -> Document:
    """Register a document received from another unit or entity (its number is theirs)."""
    if not access.office_staff(user):
        raise Forbidden("Registran documentos recibidos el personal de la OGTIE, la jefatura y las coordinaciones.")
    if case is not None and not access.may_view(user, case):
        from cases.workflow import NotFound

        raise NotFound("No existe el caso.")
    if type not in render.document_types():
        raise Invalid(f"Tipo de documento desconocido «{type}».", {"type": "desconocido"})
    document = Document(
        case=case, type=type, series="", year=timezone.localdate().year, issuing_unit=_text(sender, "sender", "Remitente", 60, required=True),
        number=_text(number, "number", "Número", 120, required=True), subject=_text(subject, "subject", "Asunto", SUBJECT_MAX, required=True),
        sender=_text(sender, "sender", "Remitente", 300, required=True), recipients=_text(recipients, "recipients", "Destinatarios", 2000),
        classification=_classification(classification, Classification.PUBLIC), folios=_folios(folios),
        annexes=_text(annexes, "annexes", "Anexos", 2000), direction=Document.Direction.RECEIVED,
        status=Document.Status.RECEIVED, created_by=user)
    with _Files(), transaction.atomic():
        document.save()
        body = "Recibido de:: {{ documento.remitente }}\nNúmero:: {{ documento.numero }}\nAsunto:: {{ documento.asunto }}\n"
        content = pdf if pdf else render.pdfkit.document_pdf(
            "DOCUMENTO RECIBIDO", number, [("Recibido de", sender), ("Asunto", subject), ("Folios", str(document.folios))],
            [body and f"Registrado por {access.display_name(user)}."], classification=Classification(document.classification).label)
        version = _pdf_version(document, user, {}, 1, pdf=content)
        version.frozen = True
        version.save()
        audit.record("document.received", actor=user, obj=case or document, after={
            "document": document.pk, "number": document.number, "sender": document.sender})
    return document
