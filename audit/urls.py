from django.urls import path

from . import views

urlpatterns = [
    path("", views.trail, name="audit"),
    path("exportar.csv", views.trail_export, {"fmt": "csv"}, name="audit-export-csv"),
    path("exportar.xlsx", views.trail_export, {"fmt": "xlsx"}, name="audit-export-xlsx"),
]
