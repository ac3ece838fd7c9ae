"""Serve collected static files next to the WSGI app: the ministry network has no CDN."""
import mimetypes
from pathlib import Path

from django.conf import settings


def with_static(app):
    root = Path(settings.STATIC_ROOT).resolve()
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(prefix):
            target = (root / path[len(prefix):]).resolve()
            if root in target.parents and target.is_file():
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                body = target.read_bytes()
                start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body))),
                                          ("Cache-Control", "public, max-age=3600")])
                return [body]
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"No encontrado"]
        return app(environ, start_response)

    return wsgi
