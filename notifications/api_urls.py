"""Included at the API's root (api/urls.py): /api/notifications, /api/notifications/..."""
from django.urls import path

from . import api

urlpatterns = [
    path("notifications", api.notification_list, name="api-notifications"),
    path("notifications/read-all", api.notification_read_all, name="api-notifications-read-all"),
    path("notifications/<int:notification_id>/read", api.notification_read, name="api-notification-read"),
]
