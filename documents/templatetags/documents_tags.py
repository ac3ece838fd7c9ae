"""{% case_documents case task %}: the «Documentos» section of the case and task pages: the
documents of the case the person may read and, for those who draft, «Redactar documento»."""
from django import template

from cases import access

register = template.Library()


@register.inclusion_tag("documents/_case_documents.html", takes_context=True)
def case_documents(context, case, task=None):
    user = context["request"].user
    documents = access.visible_documents(user).filter(case=case).order_by("-created_at")[:50]
    return {"case": case, "task": task, "documents": documents, "may_draft": access.may_draft_documents(user, case)}
