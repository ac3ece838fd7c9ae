from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("helpdesk.api_urls")),   # /api/helpdesk/categories, /api/tickets…
    path("api/", include("api.urls")),
    path("programacion/", include("schedules.urls")),
    path("auditoria/", include("audit.urls")),
    path("registros/", include("registers.urls")),
    path("mesa-de-ayuda/", include("helpdesk.urls")),
    path("", include("documents.urls")),
    path("", include("web.urls")),
]

handler400 = "mapro.handlers.bad_request"
handler403 = "mapro.handlers.permission_denied"
handler404 = "mapro.handlers.page_not_found"
handler500 = "mapro.handlers.server_error"
