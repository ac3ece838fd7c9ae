"""The help desk's pages, under /mesa-de-ayuda/, and its API routes (api_urlpatterns, under /api/)."""
from django.urls import path

from . import api, kb_views, views

urlpatterns = [
    path("", views.portal, name="helpdesk-portal"),
    path("nuevo/<slug:category>/", views.new_ticket, name="ticket-new"),
    path("mis-tickets/", views.my_tickets, name="tickets-mine"),
    path("cola/", views.queue, name="tickets-queue"),
    path("asignados/", views.assigned, name="tickets-assigned"),
    path("tablero/", views.dashboard, name="tickets-dashboard"),
    path("tablero/exportar.csv", views.export, {"fmt": "csv"}, name="tickets-export-csv"),
    path("tablero/exportar.xlsx", views.export, {"fmt": "xlsx"}, name="tickets-export-xlsx"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("adjuntos/<int:ticket_attachment_id>", views.download, name="ticket-attachment"),
    path("conocimiento/", kb_views.articles, name="kb"),
    path("conocimiento/nuevo/", kb_views.new_article, name="kb-new"),
    path("conocimiento/<int:article_id>/", kb_views.article, name="kb-article"),
    path("conocimiento/<int:article_id>/editar", kb_views.edit_article, name="kb-edit"),
    path("conocimiento/<int:article_id>/estado", kb_views.article_status, name="kb-status"),
]
ACTION_PATHS = {
    "asignar": views.assign, "responder": views.reply, "esperar": views.wait, "reanudar": views.resume,
    "resolver": views.resolve, "cerrar": views.close, "reabrir": views.reopen, "devolver": views.return_ticket,
    "cancelar": views.cancel, "validar": views.validate, "categorizar": views.categorise, "priorizar": views.prioritise,
    "fusionar": views.merge, "relacionar": views.link, "calificar": views.rate,
}
urlpatterns += [path(f"tickets/<int:ticket_id>/{slug}", view, name=f"ticket-{slug}") for slug, view in ACTION_PATHS.items()]

api_urlpatterns = [
    path("helpdesk/categories", api.categories, name="api-helpdesk-categories"),
    path("tickets", api.tickets, name="api-tickets"),
    path("tickets/<int:ticket_id>", api.ticket_detail, name="api-ticket"),
] + [path(f"tickets/<int:ticket_id>/{name}", view, name=f"api-ticket-{name}") for name, view in api.action_views.items()]
