import django.db.models.deletion
from django.db import migrations, models


def roles_and_offers(apps, schema_editor):
    """Carry each task's extra roles into Task.roles and offer the open, unclaimed ones."""
    Task = apps.get_model("cases", "Task")
    TaskRole = apps.get_model("cases", "TaskRole")
    TaskOffer = apps.get_model("cases", "TaskOffer")
    extra = {}
    for task_id, role in TaskRole.objects.values_list("task_id", "role"):
        extra.setdefault(task_id, []).append(role)
    for task in Task.objects.all().iterator():
        roles = [task.role, *extra.get(task.pk, [])]
        Task.objects.filter(pk=task.pk).update(roles=",".join(roles))
        if task.status == "open" and task.assignee_id is None:
            TaskOffer.objects.bulk_create(
                [TaskOffer(task_id=task.pk, role=r, procedure=task.procedure, due_at=task.due_at) for r in roles]
            )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskOffer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(max_length=60)),
                ("procedure", models.CharField(max_length=20)),
                ("due_at", models.DateTimeField()),
                ("task", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="offers", to="cases.task")),
            ],
        ),
        migrations.AddField(
            model_name="task",
            name="roles",
            field=models.CharField(default="", help_text="Todos los roles que pueden atenderla, separados por comas", max_length=400, verbose_name="roles"),
        ),
        migrations.AddIndex(
            model_name="taskoffer",
            index=models.Index(fields=["role", "due_at", "task"], name="offer_inbox"),
        ),
        migrations.AddConstraint(
            model_name="taskoffer",
            constraint=models.UniqueConstraint(fields=("task", "role"), name="unique_task_offer"),
        ),
        migrations.RunPython(roles_and_offers, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="task", name="task_inbox_role"),
        migrations.RemoveField(model_name="taskrole", name="task"),
        migrations.DeleteModel(name="TaskRole"),
    ]
