"""Signed documents: a PAdES signature is accepted only if it is intact, trusted and on the
document that was sent to sign (documents/signing.py); documents are rendered by the shared
PDF toolkit (documents/pdfkit.py) with their text extractable and their classification printed."""
import io
import re

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader

from documents.pdfkit import classification_label, document_pdf
from documents.signing import LocalTestSigner, SigningError, prepare, sha256_hex, verify

NUMBER = "INFORME N° 00045-2026-MINDEF/SG-OGTIE"
PARAGRAPH = "El equipo PC-0012 de la Dirección de Logística presenta fallas recurrentes en la placa madre."


def informe(classification="reservado") -> bytes:
    return document_pdf(
        "INFORME TÉCNICO", NUMBER,
        [("A", "Jefe de la OGTIE"), ("De", "Especialista de soporte técnico"), ("Asunto", "Baja del equipo PC-0012"),
         ("Fecha", "Lima, 14 de setiembre de 2026")],
        ["I. ANTECEDENTES:", PARAGRAPH, "- Ticket 2026-000123", "II. CONCLUSIÓN:", "Se recomienda la baja."],
        tables=[{"title": "Equipos evaluados", "columns": ["N°", "Código patrimonial", "Descripción", "Estado"],
                 "rows": [[1, "740899500012", "Computadora personal", "Inoperativo"]]}],
        signature_blocks=[("ANA QUISPE MAMANI", "Jefa de la OGTIE", "OGTIE")],
        classification=classification,
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The office's test CA with the chief's certificate, and a stranger's CA nobody trusts."""
    directory = tmp_path_factory.mktemp("test_signer")
    chief = LocalTestSigner.for_person("Quispe Mamani Ana", "45678912", directory=directory)
    stranger = LocalTestSigner(directory=tmp_path_factory.mktemp("stranger_ca"))
    return chief, stranger


@pytest.fixture(scope="module")
def sent():
    """The informe as sent to sign (prepared), and its recorded hash."""
    pdf = prepare(informe())
    return pdf, sha256_hex(pdf)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _change_first_page(writer: IncrementalPdfFileWriter) -> None:
    """Replace what page 1 shows (e.g. someone writes «ANULADO» over it)."""
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 40 Tf 100 600 Td (ANULADO) Tj ET"))
    writer.update_container(page)


def test_chief_signs_and_the_signature_is_verified(pki, sent):
    chief, _ = pki
    pdf, digest = sent
    signed = chief.sign(pdf, reason="Apruebo el informe")
    assert signed.startswith(pdf)  # an incremental update: the document sent is untouched
    result = verify(signed, digest, trust_roots=[chief.ca_cert_path])
    assert result.valid, result.reason
    assert result.intact
    assert result.signer_name == "ANA QUISPE MAMANI"
    assert result.signer_dni == "45678912"
    assert result.signer_serial == "PNOPE-45678912"
    assert "APELLIDO" not in result.signer_subject and "FIR 45678912" in result.signer_subject
    assert result.signed_at is not None
    assert len(result.signatures) == 1


def test_one_byte_changed_after_signing_is_refused(pki, sent):
    chief, _ = pki
    pdf, digest = sent
    signed = bytearray(chief.sign(pdf))
    # A byte inside the signed content (the informe's first page stream), not the signature itself.
    signed[len(pdf) // 2] ^= 0x01
    result = verify(bytes(signed), digest, trust_roots=[chief.ca_cert_path])
    assert not result.valid
    assert "alterado" in result.reason


def test_page_changed_in_an_update_appended_after_signing_is_refused(pki, sent):
    """The signed bytes are still intact (the signature alone would check out), but a reader now
    sees another page: pyHanko's difference analysis rates the update above LTA_UPDATES, so the
    signature no longer covers what is shown and the PDF is refused as not intact."""
    chief, _ = pki
    pdf, digest = sent
    signed = chief.sign(pdf)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    _change_first_page(writer)
    out = io.BytesIO()
    writer.write(out)
    result = verify(out.getvalue(), digest, trust_roots=[chief.ca_cert_path])
    assert not result.valid
    assert not result.intact
    assert "modificado después de la firma" in result.reason
    # The same file without the appended update is accepted: the refusal is about the update.
    assert verify(signed, digest, trust_roots=[chief.ca_cert_path]).valid


def test_unsigned_pdf_is_refused(pki, sent):
    chief, _ = pki
    pdf, digest = sent
    result = verify(pdf, digest, trust_roots=[chief.ca_cert_path])
    assert not result.valid
    assert result.reason == "El PDF no tiene firma digital."
    assert not verify(b"no soy un PDF", None, trust_roots=[chief.ca_cert_path]).valid


def test_signature_by_an_untrusted_ca_is_refused(pki, sent):
    chief, stranger = pki
    pdf, digest = sent
    signed = stranger.sign(pdf)
    result = verify(signed, digest, trust_roots=[chief.ca_cert_path])
    assert not result.valid
    assert "no proviene de una autoridad de certificación de confianza" in result.reason
    # Trusting the stranger's CA makes the same file acceptable: the refusal was about trust only.
    assert verify(signed, digest, trust_roots=[stranger.ca_cert_path]).valid


def test_signed_pdf_of_another_document_is_refused(pki, sent):
    chief, _ = pki
    _, digest = sent
    other = chief.sign(prepare(informe(classification="publico")))
    result = verify(other, digest, trust_roots=[chief.ca_cert_path])
    assert not result.valid
    assert "no es el documento que se envió a firmar" in result.reason


def test_content_changed_in_the_same_revision_as_the_signature_is_refused(pki, sent):
    """A signer's client that changes a page and signs in one update makes a valid, intact
    signature over a document that is not the one sent: the comparison of the document sent
    (revision r) with the signed revision (r + 1) catches it."""
    chief, _ = pki
    pdf, digest = sent
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _change_first_page(writer)
    signer = signers.SimpleSigner.load(key_file=str(chief.key_path), cert_file=str(chief.cert_path),
                                       ca_chain_files=(str(chief.ca_cert_path),))
    meta = signers.PdfSignatureMetadata(field_name="Firma1", subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    tampered = out.getvalue()
    assert tampered.startswith(pdf)
    assert verify(tampered, None, trust_roots=[chief.ca_cert_path]).valid  # the signature itself is fine
    result = verify(tampered, digest, trust_roots=[chief.ca_cert_path])
    assert not result.valid
    assert "junto con la firma se cambió su contenido" in result.reason


def test_visto_bueno_then_signature(pki, sent):
    """Sequential flow: the specialist's visto bueno, then the chief's signature on that file."""
    chief, _ = pki
    pdf, digest = sent
    specialist = LocalTestSigner.for_person("Rojas Perez Luis", "12345678", directory=chief.directory)
    with_vb = specialist.sign(pdf, reason="Visto bueno")
    assert verify(with_vb, digest, trust_roots=[chief.ca_cert_path]).valid
    final = chief.sign(prepare(with_vb))
    result = verify(final, sha256_hex(prepare(with_vb)), trust_roots=[chief.ca_cert_path])
    assert result.valid, result.reason
    assert [s.signer_name for s in result.signatures] == ["LUIS ROJAS PEREZ", "ANA QUISPE MAMANI"]
    assert result.signer_name == "ANA QUISPE MAMANI"
    # The chief's signature was not applied on the document originally sent (the visto bueno is between).
    assert not verify(final, digest, trust_roots=[chief.ca_cert_path]).valid


def test_trust_roots_come_from_the_settings(settings, tmp_path, sent):
    pdf, digest = sent
    settings.MAPRO_SIGNER = "local-test"
    settings.MAPRO_TEST_SIGNER_DIR = tmp_path / "demo_signer"
    settings.MAPRO_SIGNATURE_TRUST_ROOTS = []
    signed = LocalTestSigner().sign(pdf)
    assert verify(signed, digest).valid
    # In production (Firma Perú) the test CA is not trusted, and without configured roots nothing is.
    settings.MAPRO_SIGNER = "firmaperu"
    result = verify(signed, digest)
    assert not result.valid and "MAPRO_SIGNATURE_TRUST_ROOTS" in result.reason
    settings.MAPRO_SIGNATURE_TRUST_ROOTS = [str(tmp_path / "falta.pem")]
    assert "No se encuentra el certificado raíz" in verify(signed, digest).reason


def test_prepare_refuses_what_is_not_a_pdf():
    with pytest.raises(SigningError, match="no es un PDF"):
        prepare(b"GIF89a")
    with pytest.raises(SigningError, match="no se puede leer"):
        prepare(b"%PDF-1.4\n garbage")


def test_document_text_is_extractable_and_the_classification_is_printed():
    pdf = informe(classification="Reservado")
    text = _text(pdf)
    flat = re.sub(r"\s+", " ", text)
    assert NUMBER in flat
    assert PARAGRAPH in flat
    assert "MINISTERIO DE DEFENSA" in flat and "Oficina General de Tecnologías de la Información y Estadística" in flat
    assert "740899500012" in flat and "ANA QUISPE MAMANI" in flat
    pages = PdfReader(io.BytesIO(pdf)).pages
    for n, page in enumerate(pages, 1):
        page_text = page.extract_text()
        assert page_text.count("RESERVADO") == 2  # top and bottom of every page
        assert f"Página {n} de {len(pages)}" in page_text
    # Without a classification there is no banner; a draft has no number yet.
    draft = _text(document_pdf("OFICIO", None, [("Asunto", "Prueba")], ["Texto."]))
    assert not any(level in draft for level in ("PÚBLICO", "RESERVADO", "CONFIDENCIAL", "SECRETO"))
    assert "PROYECTO" in draft


def test_same_document_same_bytes():
    assert informe() == informe()
    assert informe() != informe(classification="secreto")


def test_classification_levels():
    assert classification_label("publico") == "PÚBLICO"
    assert classification_label("CONFIDENCIAL") == "CONFIDENCIAL"
    assert classification_label("") is None
    with pytest.raises(ValueError, match="clasificación"):
        classification_label("ultrasecreto")


def test_wide_matrix_goes_on_landscape_pages():
    months = ["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Set", "Oct", "Nov", "Dic"]
    pdf = document_pdf("CRONOGRAMA ANUAL", "SGSI-FOR-026", [], ["Cronograma de actividades."],
                       tables=[{"columns": ["Actividad", *months],
                                "rows": [[f"Revisión de accesos {i}", *["X" if m == i % 12 else "" for m in range(12)]]
                                         for i in range(60)]}])
    pages = PdfReader(io.BytesIO(pdf)).pages
    landscape = [p for p in pages if p.mediabox.width > p.mediabox.height]
    assert len(landscape) >= 2
    text = "\n".join(p.extract_text() for p in landscape)
    assert "Revisión de accesos 59" in text
    # The header row repeats on every landscape page.
    assert all("Set" in p.extract_text() for p in landscape)


def test_test_signer_command_signs_and_verifies(settings, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    settings.MAPRO_SIGNER = "local-test"
    settings.MAPRO_TEST_SIGNER_DIR = tmp_path / "signer"
    source, signed = tmp_path / "informe.pdf", tmp_path / "informe-firmado.pdf"
    source.write_bytes(informe())
    call_command("test_signer", "sign", str(source), str(signed), "--name", "Quispe Mamani Ana", "--dni", "45678912")
    digest = re.search(r"SHA-256 del PDF enviado a firmar: ([0-9a-f]{64})", capsys.readouterr().out).group(1)
    call_command("test_signer", "verify", str(signed), "--sha256", digest)
    assert "Firma válida de ANA QUISPE MAMANI (DNI 45678912)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no tiene firma"):
        call_command("test_signer", "verify", str(source))


def test_preparing_the_same_pdf_gives_the_same_bytes():
    pdf = informe()
    assert prepare(pdf) == prepare(pdf)
    assert prepare(prepare(pdf)) == prepare(pdf)  # a PDF that already has a form is sent as it is
