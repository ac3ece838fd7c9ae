from django.urls import include, path

from audit import api as audit_api

from . import casefile, views

urlpatterns = [
    path("auth/token", views.token, name="api-token"),
    path("auth/logout", views.token_logout, name="api-logout"),
    path("auth/tokens", views.token_list, name="api-tokens"),
    path("auth/tokens/<int:token_id>", views.token_revoke, name="api-token-revoke"),
    path("roles", views.roles, name="api-roles"),
    path("procedures", views.procedure_list, name="api-procedures"),
    path("procedures/<str:code>", views.procedure_detail, name="api-procedure"),
    path("cases", views.case_create, name="api-cases"),
    path("cases/<int:case_id>", views.case_detail, name="api-case"),
    path("cases/<int:case_id>/cancel", views.case_cancel, name="api-case-cancel"),
    path("cases/<int:case_id>/comments", casefile.comments, name="api-case-comments"),
    path("cases/<int:case_id>/attachments", casefile.attachments, name="api-case-attachments"),
    path("cases/<int:case_id>/withdraw", casefile.withdraw, name="api-case-withdraw"),
    path("attachments/<int:attachment_id>", casefile.download, name="api-attachment"),
    path("tasks", views.task_list, name="api-tasks"),
    path("tasks/<int:task_id>", views.task_detail, name="api-task"),
    path("tasks/<int:task_id>/claim", views.task_claim, name="api-task-claim"),
    path("tasks/<int:task_id>/release", views.task_release, name="api-task-release"),
    path("tasks/<int:task_id>/reassign", views.task_reassign, name="api-task-reassign"),
    path("tasks/<int:task_id>/complete", views.task_complete, name="api-task-complete"),
    path("audit", audit_api.trail, name="api-audit"),
    path("", include("documents.api_urls")),
    path("", include("registers.api_urls")),
    path("", include("notifications.api_urls")),
    path("openapi.json", views.openapi, name="api-openapi"),
]
