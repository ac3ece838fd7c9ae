from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("leidas", views.mark_all_read, name="notifications-read-all"),
    path("preferencias/", views.preferences, name="notification-preferences"),
    path("<int:notification_id>/leida", views.mark_read, name="notification-read"),
]
