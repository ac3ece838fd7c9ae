"""Pages: a person's notifications and their mail preference. Thin: the rules are in actions."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cases.workflow import Invalid, NotFound

from . import actions
from .models import Preference, mode_of

PAGE_SIZE = 30


@login_required
def notification_list(request):
    page = Paginator(actions.notifications_of(request.user).select_related("case"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread": actions.unread_count(request.user)})


@login_required
@require_POST
def mark_read(request, notification_id):
    try:
        notification = actions.mark_read(request.user, notification_id)
    except NotFound:
        raise Http404("No existe la notificación.") from None
    if request.POST.get("open") and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect("notifications")


@login_required
@require_POST
def mark_all_read(request):
    count = actions.mark_all_read(request.user)
    messages.success(request, f"{count} aviso{'s' if count != 1 else ''} marcado{'s' if count != 1 else ''} como leído{'s' if count != 1 else ''}."
                     if count else "No tenía avisos sin leer.")
    return redirect("notifications")


@login_required
def preferences(request):
    if request.method == "POST":
        try:
            preference = actions.set_mode(request.user, request.POST.get("mode", ""))
        except Invalid as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Preferencia guardada: {preference.get_mode_display().lower()}.")
            return redirect("notification-preferences")
    return render(request, "notifications/preferences.html", {
        "modes": Preference.Mode.choices, "mode": mode_of(request.user), "email": request.user.email,
    })
