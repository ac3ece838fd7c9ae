"""Entries written from Django's signals: signing in and out, failed sign-ins and locks, and changes
to who holds which role, to people's units, to units, roles, accounts and the scheduler's settings
(from the administration or anywhere else: a role granted by a command is recorded too, with the
system as its actor).

Each entry is written by the signal of the change, so inside the change's transaction when there
is one (the admin saves in one). The actor of a model change is the signed-in user of the request
being answered (audit.middleware), else the system.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from org import signin
from org.models import Person, Role, Unit
from org.second_factor import second_factor_passed
from schedules.models import NonWorkingDay, ScheduleSetting

from .trail import describe_object, record, request_actor


# --- signing in and out -----------------------------------------------------------------------
@receiver(user_logged_in, dispatch_uid="mapro.audit.signed_in")
def _signed_in(sender, request, user, **kwargs):
    record("signin.ok", actor=user, obj=user, request=request, after={"via": _via(request)})


@receiver(second_factor_passed, dispatch_uid="mapro.audit.second_factor")
def _second_factor(sender, request, user, via="", **kwargs):
    """The code of the person's device was right: the sign-in is complete (org.second_factor)."""
    record("signin.second_factor", actor=user, obj=user, request=request, after={"via": via})


@receiver(user_logged_out, dispatch_uid="mapro.audit.signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record("signout", actor=user, obj=user, request=request, after={"via": _via(request)})


@receiver(user_login_failed, dispatch_uid="mapro.audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    """A wrong password (or unknown user), or an attempt refused because the username or address is
    locked; and, when this failure is the one that locks them, the lock (org.signin counted it
    already: audit.apps connects this receiver after org.signin's)."""
    username = str(credentials.get("username") or "")[:150]
    User = get_user_model()
    user = User.objects.filter(username=username).first() if username else None
    common = {"actor": None, "actor_name": username, "object_type": "user", "label": username,
              "object_id": user.pk if user else "", "request": request}
    until = getattr(request, "mapro_signin_locked", None)
    if until:
        record("signin.refused", after={"until": until, "via": _via(request)}, **common)
        return
    failed = {"via": _via(request)}
    if "otp" in credentials:   # the password was right, the second factor's code was not
        failed["second_factor"] = True
    record("signin.failed", after=failed, **common)
    if username:
        until = signin.locked_until(username, signin.client_ip(request))
        if until:
            record("signin.locked", after={"until": until}, **common)


def _via(request) -> str:
    """Where the sign-in came from: the API, the administration or the web pages."""
    path = getattr(request, "path_info", "") or ""
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web" if request is not None else ""


# --- who holds which role ---------------------------------------------------------------------
def _roles_of(user_ids) -> dict[int, list[str]]:
    members = Role.members.through.objects.filter(user_id__in=user_ids).select_related("role")
    found = {pk: [] for pk in user_ids}
    for m in members:
        found[m.user_id].append(m.role.slug)
    return {pk: sorted(slugs) for pk, slugs in found.items()}


@receiver(m2m_changed, sender=Role.members.through, dispatch_uid="mapro.audit.role_members")
def _role_members(sender, instance, action, reverse, model, pk_set, **kwargs):
    """One entry per person whose roles changed, with their roles before and after. `reverse`: the
    change came from the user's side (user.mapro_roles.add(role))."""
    if action == "pre_clear":
        # Who is about to lose what: remembered on the instance for post_clear.
        if reverse:
            instance._audit_cleared = {instance.pk: set(instance.mapro_roles.values_list("slug", flat=True))}
        else:
            instance._audit_cleared = {pk: {instance.slug} for pk in instance.members.values_list("pk", flat=True)}
        return
    if action == "post_clear":
        changed = getattr(instance, "_audit_cleared", {})
        granted = False
    elif action in ("post_add", "post_remove") and pk_set:
        granted = action == "post_add"
        if reverse:
            slugs = set(Role.objects.filter(pk__in=pk_set).values_list("slug", flat=True))
            changed = {instance.pk: slugs}
        else:
            changed = {pk: {instance.slug} for pk in pk_set}
    else:
        return
    if not changed:
        return
    now = _roles_of(list(changed))
    users = get_user_model().objects.in_bulk(list(changed))
    actor = request_actor()
    for pk, slugs in changed.items():
        after = now.get(pk, [])
        before = sorted(set(after) - slugs) if granted else sorted(set(after) | slugs)
        user = users.get(pk)
        record("role.granted" if granted else "role.revoked", actor=actor, obj=user,
               object_type="user", object_id=pk, label=user.username if user else str(pk),
               before={"roles": before}, after={"roles": after})


# --- rows of the organisation and settings ------------------------------------------------------
# model -> (action, the fields whose changes are recorded)
WATCHED = {
    Unit: ("unit.changed", ("slug", "acronym", "name")),
    Role: ("role.changed", ("slug", "name", "unit_id", "requester", "coordinator")),
    Person: ("person.changed", ("user_id", "unit_id", "is_demo")),
    ScheduleSetting: ("setting.changed", ("enabled", "months", "day", "weekday", "start_time")),
    NonWorkingDay: ("nonworkingday.changed", ("date", "description")),
}
USER_FIELDS = ("username", "is_active", "is_staff", "is_superuser")


def _values(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _remember(sender, instance, raw=False, **kwargs):
    """Before a save: the row as it is in the database (None when it is new)."""
    if raw:
        return
    fields = WATCHED[sender][1]
    old = sender.objects.filter(pk=instance.pk).values(*fields).first() if instance.pk else None
    instance._audit_before = old


def _saved(sender, instance, created, raw=False, **kwargs):
    if raw or not hasattr(instance, "_audit_before"):
        return
    action, fields = WATCHED[sender]
    old, new = instance._audit_before, _values(instance, fields)
    del instance._audit_before
    if old is None:
        before, after = None, new
    else:
        changed = [f for f in fields if old.get(f) != new[f]]
        if not changed:
            return
        before, after = {f: old.get(f) for f in changed}, {f: new[f] for f in changed}
    record(action, actor=request_actor(), obj=instance, before=before, after=after)


def _deleting(sender, instance, **kwargs):
    """Before a delete: what the row held, and how it is named (its related rows may go with it)."""
    try:
        named = describe_object(instance)
    except Exception:   # noqa: BLE001 - a related row already gone
        named = (sender._meta.model_name, str(instance.pk), str(instance.pk))
    instance._audit_deleted = (named, _values(instance, WATCHED[sender][1]))


def _deleted(sender, instance, **kwargs):
    if not hasattr(instance, "_audit_deleted"):
        return
    (kind, pk, label), before = instance._audit_deleted
    record(WATCHED[sender][0], actor=request_actor(), object_type=kind, object_id=pk, label=label,
           before=before, after=None)


for _model in WATCHED:
    pre_save.connect(_remember, sender=_model, dispatch_uid=f"mapro.audit.remember.{_model._meta.label}")
    post_save.connect(_saved, sender=_model, dispatch_uid=f"mapro.audit.saved.{_model._meta.label}")
    pre_delete.connect(_deleting, sender=_model, dispatch_uid=f"mapro.audit.deleting.{_model._meta.label}")
    post_delete.connect(_deleted, sender=_model, dispatch_uid=f"mapro.audit.deleted.{_model._meta.label}")


# --- accounts -----------------------------------------------------------------------------------
@receiver(pre_save, sender=get_user_model(), dispatch_uid="mapro.audit.user_remember")
def _user_remember(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return   # signing in stamps last_login: not a change to the account
    old = sender.objects.filter(pk=instance.pk).values(*USER_FIELDS, "password").first() if instance.pk else None
    instance._audit_before = old


@receiver(post_save, sender=get_user_model(), dispatch_uid="mapro.audit.user_saved")
def _user_saved(sender, instance, created, raw=False, **kwargs):
    """A changed account: its username, whether it is active, staff or superuser, its password
    (never the value); a new account only when it is staff or superuser."""
    if raw or not hasattr(instance, "_audit_before"):
        return
    old = instance._audit_before
    del instance._audit_before
    new = _values(instance, USER_FIELDS)
    if old is None:
        if not (instance.is_staff or instance.is_superuser):
            return
        before, after = None, new
    else:
        changed = [f for f in USER_FIELDS if old[f] != new[f]]
        before, after = {f: old[f] for f in changed}, {f: new[f] for f in changed}
        if old["password"] != instance.password:
            after["password_changed"] = True
        if not after:
            return
    record("user.changed", actor=request_actor(), obj=instance, before=before, after=after)
