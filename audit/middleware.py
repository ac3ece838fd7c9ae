"""The request being answered, for the entries written while answering it.

State changes (cases.workflow, cases.casefile) take the acting user explicitly but not the
request; the entry's address comes from here. Signal receivers (a role granted in the admin) also
take the acting user from here. Outside a request (the worker, a command) there is none: the
address is empty and the actor is the system."""
from contextvars import ContextVar

_current = ContextVar("mapro_audit_request", default=None)


def current_request():
    return _current.get()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
