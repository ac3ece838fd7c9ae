from .urls import api_urlpatterns as urlpatterns  # noqa: F401  (included by api/urls.py)
