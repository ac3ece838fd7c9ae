import functools


def unread(request):
    """`unread_notifications` for the header's link: counted once, and only if the page shows it."""
    from .actions import unread_count

    user = getattr(request, "user", None)
    return {"unread_notifications": functools.cache(lambda: unread_count(user))}
