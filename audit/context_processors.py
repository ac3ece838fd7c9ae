def navigation(request):
    """`reads_audit_trail` for the menu's «Auditoría» link; asked only when a page shows the menu."""
    from .access import reads_trail

    return {"reads_audit_trail": lambda: reads_trail(getattr(request, "user", None))}
