"""The one hook through which a case's state changes reach the rest of the office's records.

Two kinds of consequence, both run inside the transaction of the change that causes them, so a
change that rolls back leaves no trace of them and a refused consequence rolls the change back:

- **Completion effects** (`Provider`): what an activity declares in its sheet (`effects:`): register
  entries it creates, updates, assigns, returns or closes, the ticket it registers or closes, the
  document it issues. A provider *plans* before anything is written (reading what it needs and
  refusing bad input with `Refused`, which names the form field) and returns the writes to run
  after the task completion is written, in the same transaction.
- **Announcements** (`announce`): facts other apps react to (a task offered or assigned, a case
  closed, a comment added), e.g. the notifications outbox. Subscribers write in the caller's
  transaction; they must not raise for a person's preferences or a mail server's state.

Apps register in their AppConfig.ready(); cases never imports them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol


class Refused(Exception):
    """A consequence the records refuse (a card serial already issued, a VPN user that does not
    exist): the completion is a 422 naming `field`, and nothing is written."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass
class Context:
    """What a completion effect may read: the case as read before the completion, the activity of
    the sheet it runs on, who completes it, this form's clean data and the decision's label."""
    case: Any
    task: Any
    sheet: Any
    activity: Any
    user: Any
    clean: dict
    decision: str
    now: datetime
    finished: bool
    _earlier: dict | None = field(default=None, repr=False)

    def earlier(self) -> dict:
        """Every value the case's earlier forms recorded (the latest one per field)."""
        if self._earlier is None:
            from .models import Event

            merged: dict = {}
            for data in (Event.objects.filter(case_id=self.case.pk, kind__in=(Event.Kind.STARTED, Event.Kind.COMPLETED))
                         .order_by("id").values_list("data", flat=True)):
                if isinstance(data, dict):
                    merged.update({k: v for k, v in data.items() if v not in (None, "", [])})
            self._earlier = merged
        return self._earlier

    def value(self, key: str):
        """A form field's value: this form's first, else the latest the case recorded."""
        if key in self.clean and self.clean[key] not in (None, "", []):
            return self.clean[key]
        return self.earlier().get(key)


Write = Callable[[], None]


class Provider(Protocol):
    def plan(self, ctx: Context) -> list[Write]:
        """Check and prepare; raise Refused for bad input. Return the writes to run, in the completion's
        transaction, after the task is written."""


_providers: list[Provider] = []
_subscribers: dict[str, list[Callable]] = defaultdict(list)


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def plan(ctx: Context) -> list[Write]:
    """Every provider's writes, in the providers' `order` (default 0; registers last, so a register
    may record the number of a ticket the same activity generates)."""
    writes: list[Write] = []
    for provider in sorted(_providers, key=lambda p: getattr(p, "order", 0)):
        writes += provider.plan(ctx) or []
    return writes


def answer(ctx: Context, decision) -> str | None:
    """The answer a provider's records give to the activity's decision (a register that knows
    whether a VPN user exists), or None when none answers it."""
    for provider in _providers:
        found = getattr(provider, "answer", None) and provider.answer(ctx, decision)
        if found:
            return found
    return None


def subscribe(kind: str, fn: Callable) -> None:
    """Call `fn(**payload)` whenever `kind` is announced. Kinds: "task.offered" (case, tasks),
    "task.assigned" (case, task, by), "case.closed" (case, status, by), "comment.added" (case,
    comment)."""
    if fn not in _subscribers[kind]:
        _subscribers[kind].append(fn)


def listening() -> bool:
    return any(_subscribers.values())


def announce(kind: str, **payload) -> None:
    for fn in _subscribers.get(kind, ()):
        fn(**payload)
