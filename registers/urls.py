from django.urls import path

from . import views

urlpatterns = [
    path("", views.register_list, name="registers"),
    path("persona/<str:dni>/", views.person, name="register-person"),
    path("<slug:register>/", views.entry_list, name="register-entries"),
    path("<slug:register>/exportar.csv", views.entry_export, {"fmt": "csv"}, name="register-export-csv"),
    path("<slug:register>/exportar.xlsx", views.entry_export, {"fmt": "xlsx"}, name="register-export-xlsx"),
    path("<slug:register>/nuevo", views.entry_new, name="register-entry-new"),
    path("<slug:register>/importar", views.entry_import, name="register-import"),
    path("<slug:register>/conciliar", views.reconcile_page, name="register-reconcile"),
    path("<slug:register>/<int:entry_id>/", views.entry_detail, name="register-entry"),
    path("<slug:register>/<int:entry_id>/editar", views.entry_edit, name="register-entry-edit"),
    path("<slug:register>/<int:entry_id>/baja", views.entry_change, {"action": "close"}, name="register-entry-close"),
    path("<slug:register>/<int:entry_id>/devolucion", views.entry_change, {"action": "return"},
         name="register-entry-return"),
]
