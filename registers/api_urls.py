from django.urls import path

from . import api

urlpatterns = [
    path("registers", api.register_list, name="api-registers"),
    path("registers/<slug:register>", api.register_entries, name="api-register"),
    path("registers/<slug:register>/<int:entry_id>", api.entry_detail, name="api-register-entry"),
]
