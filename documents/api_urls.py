"""URLs of the documents' API (included under /api/)."""
from django.urls import path

from . import api

urlpatterns = [
    path("document-templates", api.templates, name="api-document-templates"),
    path("cases/<int:case_id>/documents", api.case_documents, name="api-case-documents"),
    path("documents", api.document_list, name="api-documents"),
    path("documents/<int:document_id>", api.document_detail, name="api-document"),
    path("documents/<int:document_id>/pdf", api.document_pdf, name="api-document-pdf"),
    path("documents/<int:document_id>/edit", api.document_edit, name="api-document-edit"),
    path("documents/<int:document_id>/approve", api.document_approve, name="api-document-approve"),
    path("documents/<int:document_id>/issue", api.document_issue, name="api-document-issue"),
    path("documents/<int:document_id>/sign", api.document_sign, name="api-document-sign"),
    path("documents/<int:document_id>/send", api.document_send, name="api-document-send"),
    path("documents/<int:document_id>/annul", api.document_annul, name="api-document-annul"),
]
