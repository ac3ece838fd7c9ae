"""Digital signatures of the office's documents (PAdES), verified with pyHanko before they are accepted.

How signing works with Firma Perú (the national platform, PCM): the signer's computer signs, not
the server. The server prepares the PDF to sign (`prepare`, whose SHA-256 the documents core
records with the version), the signer's desktop client signs it with the DNIe or an entity
certificate, and the signed PDF comes back to an upload endpoint, which calls `verify` and
accepts it only if the Verification is valid. README «Firma digital con Firma Perú» says how to
connect the real service and which trust roots (the Peruvian PKI's CAs) to configure.

`LocalTestSigner` makes real PAdES signatures on the server with a local test CA, so that the
tests and the demo sign and verify exactly what production verifies. It is never a production
signer: its CA is trusted only where MAPRO_SIGNER is "local-test" (tests, demo).

What `verify` checks, and why that way:

1. The file is a PDF with at least one signature (else «El PDF no tiene firma digital»).
2. Each signature, with pyHanko's `validate_pdf_signature` and a ValidationContext whose trust
   roots are MAPRO_SIGNATURE_TRUST_ROOTS (PEM files; plus the test CA with MAPRO_SIGNER=local-test):
   the signed bytes are intact (a byte changed after signing breaks the digest), the CMS
   signature is valid, and the certificate chains to a trusted root.
3. The newest signature covers the whole file, or what was appended after it is only signature
   maintenance (pyHanko's difference analysis: DSS / timestamps, ModificationLevel.LTA_UPDATES).
   An incremental update that changes a page after signing is reported as not intact and refused:
   the bytes the signature covers are still intact, so a plain "is the signature valid" check would
   accept it, but the document a reader sees is no longer the one that was signed.
4. The signed document is the one that was sent (`expected_original_sha256`). The signer's client
   adds the signature as an incremental update, so the original PDF must be a byte-for-byte prefix
   of the signed file that ends at a revision boundary (after a «%%EOF»). We hash each such prefix
   and look for the recorded hash; the matching prefix is revision r of the signed file. The
   newest signature must be in the very next revision (r + 1), and pyHanko's difference analysis
   between revision r and the signed revision must find nothing beyond adding and filling a
   signature field (ModificationLevel ≤ FORM_FILLING): a client that slipped a changed page into
   the revision that carries the signature is refused, even though its signature is valid.
   Comparing hashes of whole files could never match (the signed file is longer), and comparing
   only the text would miss changes to images or form fields.
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

EOF_MARK = re.compile(rb"%%EOF[ \t]*(\r\n|\r|\n)?")


class SigningError(Exception):
    """A PDF that cannot be prepared or signed; the message is for people (Spanish)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Signers
# --------------------------------------------------------------------------------------------

class Signer(Protocol):
    """Something that turns the prepared PDF into a PAdES-signed PDF.

    Only LocalTestSigner does this on the server; with Firma Perú the signer's own computer does
    it and the server only calls `prepare` and `verify`.
    """

    name: str

    def sign(self, pdf: bytes, *, reason: str = "", location: str = "") -> bytes: ...


class _SameBytesWriter(IncrementalPdfFileWriter):
    """Leaves /Info (and its modification date) as it was, so that preparing the same PDF twice
    gives the same bytes (and the same recorded hash)."""

    def _update_meta(self):
        pass


def prepare(pdf_bytes: bytes) -> bytes:
    """The PDF to send to the signer: the document, checked, with an (empty) interactive form.

    The caller records `sha256_hex(result)` with the document version; `verify` later demands that
    the signed revision is exactly these bytes plus the signature. A PDF without an /AcroForm
    gets one (empty, in an incremental update that changes nothing a reader sees): the signature
    will be a form field, and pyHanko's difference analysis, which `verify` runs between the
    document sent and the signed revision, compares the form of both revisions. A PDF that
    already has a form (for example one that already carries a visto bueno) is returned unchanged.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.misc import PdfError

    if not pdf_bytes or pdf_bytes.lstrip()[:5] != b"%PDF-":
        raise SigningError("El archivo a firmar no es un PDF.")
    try:
        writer = _SameBytesWriter(io.BytesIO(pdf_bytes), strict=False)
        if writer.prev.encrypted:
            raise SigningError("El PDF está cifrado: no puede enviarse a firmar.")
        writer.root["/Pages"]
        if "/AcroForm" in writer.root:
            return pdf_bytes
        writer.root["/AcroForm"] = writer.add_object(generic.DictionaryObject({
            generic.NameObject("/Fields"): generic.ArrayObject(),
        }))
        writer.update_root()
        # The update's file identifier derives from the content instead of being random.
        writer._document_id = generic.ArrayObject([
            writer._document_id[0], generic.ByteStringObject(hashlib.sha256(pdf_bytes).digest()[:16])])
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except SigningError:
        raise
    except (PdfError, KeyError, ValueError, TypeError) as exc:
        raise SigningError(f"El PDF no se puede leer para firmarlo: {exc}") from exc


@dataclass(frozen=True)
class SignerIdentity:
    """A person of the local test PKI: «QUISPE MAMANI ANA» with DNI 12345678."""

    name: str = "APELLIDO NOMBRE"
    dni: str = "12345678"

    def __post_init__(self):
        if not re.fullmatch(r"\d{8}", self.dni):
            raise ValueError(f"DNI «{self.dni}»: se esperan 8 dígitos")


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def default_test_signer_dir() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "MAPRO_TEST_SIGNER_DIR", "") or Path(settings.VAR_DIR) / "test_signer")


class LocalTestSigner:
    """Real PAdES signatures made with a local test CA (tests and the demo only).

    The CA and one certificate per identity are made once and kept in `directory` (default
    settings.MAPRO_TEST_SIGNER_DIR, var/test_signer/): ca.pem (the root to trust), ca.key.pem,
    signer-<dni>.pem and signer-<dni>.key.pem. The certificates look like a Peruvian FIR
    («firma») certificate: CN «APELLIDO NOMBRE FIR 12345678», serialNumber «PNOPE-12345678»
    (ETSI natural-person identifier: PNO, country PE, DNI), surname and givenName, C=PE.
    """

    name = "local-test"

    def __init__(self, identity: SignerIdentity | None = None, directory: Path | str | None = None):
        self.identity = identity or SignerIdentity()
        self.directory = Path(directory) if directory else default_test_signer_dir()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._ensure_files()

    @classmethod
    def for_person(cls, name: str, dni: str, directory: Path | str | None = None) -> "LocalTestSigner":
        return cls(SignerIdentity(name=" ".join(name.upper().split()), dni=dni), directory)

    # --- files ----------------------------------------------------------------------------
    @property
    def ca_cert_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def cert_path(self) -> Path:
        return self.directory / f"signer-{self.identity.dni}.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / f"signer-{self.identity.dni}.key.pem"

    def _ensure_files(self) -> None:
        # One process makes the CA; others wait for it (flock), so concurrent test workers or the
        # demo server and a test never end up with certificates of two different CAs.
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                ca_key_path = self.directory / "ca.key.pem"
                if not (self.ca_cert_path.exists() and ca_key_path.exists()):
                    key, cert = _make_ca()
                    _write_private(ca_key_path, _key_pem(key))
                    _write_private(self.ca_cert_path, cert.public_bytes(serialization.Encoding.PEM))
                if not (self.cert_path.exists() and self.key_path.exists()):
                    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
                    ca_cert = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
                    key, cert = _make_signer_cert(self.identity, ca_key, ca_cert)
                    _write_private(self.key_path, _key_pem(key))
                    _write_private(self.cert_path, cert.public_bytes(serialization.Encoding.PEM))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # --- signing --------------------------------------------------------------------------
    def sign(self, pdf: bytes, *, reason: str = "Soy el autor del documento", location: str = "Lima, Perú",
             field_name: str | None = None) -> bytes:
        """The PDF with one more PAdES signature (B-B level), added as an incremental update."""
        from pyhanko.sign import fields, signers

        pdf = prepare(pdf)
        signer = signers.SimpleSigner.load(
            key_file=str(self.key_path), cert_file=str(self.cert_path), ca_chain_files=(str(self.ca_cert_path),))
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        existing = len(list(fields.enumerate_sig_fields(writer)))
        meta = signers.PdfSignatureMetadata(
            field_name=field_name or f"Firma{existing + 1}",
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
            name=self.identity.name,
        )
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
        return out.getvalue()


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MAPRO - PKI DE PRUEBA (NO VÁLIDA)"),
        # A random suffix: two test CAs (another checkout, another test) are told apart in messages.
        x509.NameAttribute(NameOID.COMMON_NAME, f"MAPRO CA DE PRUEBA {os.urandom(3).hex().upper()}"),
    ])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_signer_cert(identity: SignerIdentity, ca_key, ca_cert):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # Peruvian names as written on the DNI: surnames first; with three or more words, two surnames
    # then the given names; with two words, one of each.
    parts = identity.name.split()
    cut = 2 if len(parts) >= 3 else 1
    surname, given = " ".join(parts[:cut]), " ".join(parts[cut:])
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
        x509.NameAttribute(NameOID.SURNAME, surname or identity.name),
        x509.NameAttribute(NameOID.GIVEN_NAME, given or identity.name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPE-{identity.dni}"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{identity.name} FIR {identity.dni}"),
    ]
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name(attributes)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def get_signer(name: str | None = None, *, person_name: str | None = None, dni: str | None = None) -> Signer | None:
    """The server-side signer configured by MAPRO_SIGNER, or None when signatures come from the
    signer's own computer (Firma Perú: the signed PDF is uploaded and `verify`-ed)."""
    from django.conf import settings

    name = name or getattr(settings, "MAPRO_SIGNER", "firmaperu")
    if name == "local-test":
        if person_name and dni:
            return LocalTestSigner.for_person(person_name, dni)
        return LocalTestSigner()
    if name == "firmaperu":
        return None
    raise ValueError(f"MAPRO_SIGNER «{name}»: use firmaperu o local-test")


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignatureInfo:
    field_name: str
    signer_name: str
    signer_dni: str | None
    signer_serial: str | None
    signed_at: datetime | None
    valid: bool
    trusted: bool
    intact: bool


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify`: valid only if every check passed; `reason` (Spanish) says why not.

    signer_* and signed_at describe the newest signature (the one just added); `signatures` lists
    all of them, oldest first (a visto bueno signed before the signature, for example).
    """

    valid: bool
    reason: str = ""
    signer_name: str = ""
    signer_dni: str | None = None
    signer_serial: str | None = None
    signer_subject: str = ""
    signed_at: datetime | None = None
    intact: bool = False
    sha256: str = ""
    signatures: tuple[SignatureInfo, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.valid


def trust_root_paths() -> list[Path]:
    """The PEM files whose certificates are trusted roots: MAPRO_SIGNATURE_TRUST_ROOTS, plus the
    local test CA when MAPRO_SIGNER is local-test."""
    from django.conf import settings

    paths = [Path(p) for p in getattr(settings, "MAPRO_SIGNATURE_TRUST_ROOTS", []) or []]
    if getattr(settings, "MAPRO_SIGNER", "") == "local-test":
        paths.append(LocalTestSigner().ca_cert_path)
    return paths


def load_certificates(paths) -> list[asn1_x509.Certificate]:
    """Every certificate in the given PEM (or DER) files; a file may hold several."""
    from pyhanko.keys import load_certs_from_pemder

    certs = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise SigningError(f"No se encuentra el certificado raíz de confianza {path}.")
        certs += list(load_certs_from_pemder([str(path)]))
    return certs


def _subject_fields(cert: asn1_x509.Certificate) -> tuple[str, str | None, str | None, str]:
    """(name, dni, serialNumber, subject) of a signer's certificate.

    The name is «given-name surname» when both are present, otherwise the CN without the
    « FIR 12345678» suffix of Peruvian certificates. The DNI comes from serialNumber
    «PNOPE-12345678» (or a bare 8-digit serialNumber) or, failing that, from the CN.
    """
    native = cert.subject.native
    cn = str(native.get("common_name") or "")
    serial = native.get("serial_number")
    surname, given = native.get("surname"), native.get("given_name")
    if surname and given:
        name = f"{given} {surname}"
    else:
        name = re.sub(r"\s+FIR\s+\d{8}.*$", "", cn).strip() or cn
    dni = None
    if serial:
        m = re.fullmatch(r"(?:PNOPE-|DNI|PE-?)?(\d{8})", str(serial).strip(), flags=re.IGNORECASE)
        dni = m.group(1) if m else None
    if dni is None:
        m = re.search(r"\bFIR\s+(\d{8})\b", cn)
        dni = m.group(1) if m else None
    return name, dni, (str(serial) if serial else None), cert.subject.human_friendly


def _original_revision(signed_pdf: bytes, expected_sha256: str) -> tuple[int, int] | None:
    """(length, revision count) of the prefix of `signed_pdf` whose SHA-256 is expected_sha256,
    cut at a revision boundary (just after «%%EOF» and its end of line), or None."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    ends = set()
    for m in EOF_MARK.finditer(signed_pdf):
        ends.add(m.start() + 5)
        ends.add(m.end())
    for end in sorted(ends):
        if sha256_hex(signed_pdf[:end]) == expected_sha256.lower():
            reader = PdfFileReader(io.BytesIO(signed_pdf[:end]), strict=False)
            return end, reader.xrefs.total_revisions
    return None


def _signing_revision_policy():
    """pyHanko's default difference policy, except that the signature may set the form's /SigFlags
    (the signer marks that the document now has signatures; the document sent had none)."""
    from pyhanko.sign.diff_analysis import (
        CatalogModificationRule, DocInfoRule, DSSCompareRule, FormUpdatingRule, GenericFieldModificationRule,
        MetadataUpdateRule, ModificationLevel, ObjectStreamRule, SigFieldCreationRule, SigFieldModificationRule,
        StandardDiffPolicy, XrefStreamRule,
    )
    from pyhanko.sign.diff_analysis.constants import ACROFORM_EXEMPT_STRICT_COMPARISON

    lta = ModificationLevel.LTA_UPDATES
    return StandardDiffPolicy(
        global_rules=[
            CatalogModificationRule(), DocInfoRule().as_qualified(lta), XrefStreamRule().as_qualified(lta),
            ObjectStreamRule().as_qualified(lta), DSSCompareRule().as_qualified(lta),
            MetadataUpdateRule().as_qualified(lta),
        ],
        form_rule=FormUpdatingRule(
            field_rules=[SigFieldCreationRule(), SigFieldModificationRule(), GenericFieldModificationRule()],
            ignored_acroform_keys=ACROFORM_EXEMPT_STRICT_COMPARISON | {"/SigFlags"},
        ),
    )


def verify(signed_pdf: bytes, expected_original_sha256: str | None = None, trust_roots=None) -> Verification:
    """Check a signed PDF before accepting it (see the module's docstring for each check).

    trust_roots: PEM paths or asn1crypto certificates; None takes them from the settings.
    Never raises for a bad PDF: the Verification says why it is refused.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    digest = sha256_hex(signed_pdf or b"")

    def refuse(reason: str, **kwargs) -> Verification:
        return Verification(valid=False, reason=reason, sha256=digest, **kwargs)

    if not signed_pdf or signed_pdf.lstrip()[:5] != b"%PDF-":
        return refuse("El archivo recibido no es un PDF.")
    try:
        roots = trust_root_paths() if trust_roots is None else list(trust_roots)
        roots = [r for r in roots if isinstance(r, asn1_x509.Certificate)] + \
            load_certificates([r for r in roots if not isinstance(r, asn1_x509.Certificate)])
    except SigningError as exc:
        return refuse(str(exc))
    if not roots:
        return refuse("No hay certificados raíz de confianza configurados (MAPRO_SIGNATURE_TRUST_ROOTS): "
                      "no se puede verificar la firma.")
    try:
        reader = PdfFileReader(io.BytesIO(signed_pdf), strict=False)
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    except (PdfError, KeyError, ValueError, TypeError) as exc:
        return refuse(f"El PDF recibido está dañado o no se puede leer: {exc}")
    if not embedded:
        return refuse("El PDF no tiene firma digital.")

    from django.conf import settings

    revocation_mode = getattr(settings, "MAPRO_SIGNATURE_REVOCATION_MODE", "soft-fail")
    allow_fetching = bool(getattr(settings, "MAPRO_SIGNATURE_FETCH_REVOCATION", False))
    infos, statuses = [], []
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=allow_fetching,
                                    revocation_mode=revocation_mode)
        try:
            status = validate_pdf_signature(sig, context)
        except Exception as exc:  # pyHanko raises several types for malformed signatures
            return refuse(f"La firma «{sig.field_name}» no se puede validar: {exc}")
        name, dni, serial, subject = _subject_fields(status.signing_cert)
        intact_doc = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level is not None
            and status.modification_level <= ModificationLevel.FORM_FILLING)
        infos.append(SignatureInfo(
            field_name=sig.field_name, signer_name=name, signer_dni=dni, signer_serial=serial,
            signed_at=status.signer_reported_dt, valid=bool(status.intact and status.valid),
            trusted=bool(status.trusted), intact=bool(status.intact and intact_doc)))
        statuses.append((sig, status, subject))

    last_sig, last_status, last_subject = statuses[-1]
    last = infos[-1]
    details = dict(signer_name=last.signer_name, signer_dni=last.signer_dni, signer_serial=last.signer_serial,
                   signer_subject=last_subject, signed_at=last.signed_at, signatures=tuple(infos))

    for info, (sig, status, _) in zip(infos, statuses):
        if not status.intact:
            return refuse(f"La firma de {info.signer_name} no corresponde al contenido: el PDF fue alterado "
                          "después de firmarse.", intact=False, **details)
        if not status.valid:
            return refuse(f"La firma de {info.signer_name} no es válida criptográficamente.", intact=False, **details)
        if not status.trusted:
            issuer = status.signing_cert.issuer.native.get("common_name") or status.signing_cert.issuer.human_friendly
            return refuse(f"El certificado de {info.signer_name} (emitido por «{issuer}») no proviene de una "
                          "autoridad de certificación de confianza.", **details)

    # What was appended after the newest signature may only be signature maintenance.
    whole = last_status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        last_status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and last_status.modification_level is not None
        and last_status.modification_level <= ModificationLevel.LTA_UPDATES)
    if not whole:
        return refuse(f"El PDF fue modificado después de la firma de {last.signer_name} (se agregó una "
                      "actualización que cambia el documento): la firma no cubre el documento que se ve.",
                      intact=False, **details)
    # Older signatures (a visto bueno) may be followed by more signatures, nothing else.
    for info in infos[:-1]:
        if not info.intact:
            return refuse(f"El PDF fue modificado después de la firma de {info.signer_name} con cambios que no "
                          "son firmas.", intact=False, **details)

    if expected_original_sha256:
        found = _original_revision(signed_pdf, expected_original_sha256)
        if found is None:
            return refuse("El PDF firmado no es el documento que se envió a firmar: su contenido no coincide "
                          "con el de la versión registrada.", intact=True, **details)
        _length, original_revisions = found
        if last_sig.signed_revision != original_revisions:
            return refuse("El PDF firmado no es el documento que se envió a firmar: la firma no se aplicó "
                          "directamente sobre la versión registrada.", intact=True, **details)
        signed_end = last_sig.byte_range[2] + last_sig.byte_range[3]
        signed_reader = PdfFileReader(io.BytesIO(signed_pdf[:signed_end]), strict=False)
        try:
            diff = _signing_revision_policy().review_file(signed_reader, original_revisions - 1)
        except (PdfError, KeyError, ValueError, TypeError):
            return refuse("El PDF firmado no se puede comparar con el documento enviado (no se envió el PDF "
                          "preparado para firma).", intact=True, **details)
        if isinstance(diff, SuspiciousModification) or diff.modification_level > ModificationLevel.FORM_FILLING:
            return refuse("El PDF firmado no es el documento que se envió a firmar: junto con la firma se "
                          "cambió su contenido.", intact=True, **details)

    return Verification(valid=True, intact=True, sha256=digest, **details)
