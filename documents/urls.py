"""URLs of the documents' pages (included at the site's root; the API's: documents/api_urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("documentos/", views.register, name="documents"),
    path("documentos/exportar.csv", views.register_export, {"fmt": "csv"}, name="documents-export-csv"),
    path("documentos/exportar.xlsx", views.register_export, {"fmt": "xlsx"}, name="documents-export-xlsx"),
    path("documentos/recibir", views.receive, name="document-receive"),
    path("documentos/redactar/<int:case_id>/", views.draft, name="document-draft"),
    path("documentos/<int:document_id>/", views.detail, name="document"),
    path("documentos/<int:document_id>/pdf", views.pdf, name="document-pdf"),
    path("documentos/<int:document_id>/docx", views.export, {"fmt": "docx"}, name="document-docx"),
    path("documentos/<int:document_id>/xlsx", views.export, {"fmt": "xlsx"}, name="document-xlsx"),
    path("documentos/<int:document_id>/editar", views.edit, name="document-edit"),
    path("documentos/<int:document_id>/visar", views.approve, name="document-approve"),
    path("documentos/<int:document_id>/numerar", views.issue, name="document-issue"),
    path("documentos/<int:document_id>/firmar", views.sign, name="document-sign"),
    path("documentos/<int:document_id>/enviar", views.send, name="document-send"),
    path("documentos/<int:document_id>/anular", views.annul, name="document-annul"),
]
