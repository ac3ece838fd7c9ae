"""{% case_documents case task %}: the «Documentos» section of the case and task pages: the
documents of the case the person may read and, for those who draft, «Redactar documento»."""
from django import template

from cases import access
from documents.models import Document

register = template.Library()


@register.inclusion_tag("documents/_case_documents.html", takes_context=True)
def case_documents(context, case, task=None):
    user = context["request"].user
    documents = access.visible_documents(user).filter(case=case).order_by("-created_at")[:50]
    return {"case": case, "task": task, "documents": documents, "may_draft": access.may_draft_documents(user, case)}


@register.simple_tag(takes_context=True)
def case_document_numbers(context, case):
    """The numbers of the case's issued documents the person may read, newest first: a `document`
    field of the task's form offers them (a number received from outside is still typed)."""
    user = context["request"].user
    return list(access.visible_documents(user).filter(case=case).exclude(number="").exclude(status=Document.Status.ANNULLED)
                .order_by("-created_at").values_list("number", "subject")[:50])
