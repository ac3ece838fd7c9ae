"""Overdue tasks: the worker tells the people a late task is waiting for, once per task.

A task is claimed by inserting its OverdueNotice row (primary key: the task) in the transaction that
writes its notifications, so two workers never tell the same task twice."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Task

from .actions import deliver
from .models import Kind, OverdueNotice
from .subscribers import task_notes

BATCH = 200


def notify_overdue(now=None, limit: int = BATCH) -> int:
    """Notify the open tasks past their due date not told yet; the number of tasks told."""
    now = now or timezone.now()
    late = (Task.objects.filter(status=Task.Status.OPEN, due_at__lt=now)
            .exclude(pk__in=OverdueNotice.objects.values("task_id"))
            .select_related("case", "case__started_by", "assignee").order_by("due_at", "id")[:limit])
    told = 0
    for task in late:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    OverdueNotice.objects.create(task=task, created_at=now)
            except IntegrityError:
                continue   # another worker told it
            due = timezone.localtime(task.due_at)
            deliver(task_notes(task.case, task, kind_offered=Kind.TASK_OVERDUE, key_prefix="task.overdue",
                               title_suffix=f" (venció el {due:%d/%m/%Y %H:%M})"))
            told += 1
    return told
