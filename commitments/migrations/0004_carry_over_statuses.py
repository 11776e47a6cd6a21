"""Every displayed status keeps its explanation: the latest-update rule.

Before this migration a status could be set without a dated progress update (the admin's
editable columns, the bulk status action). For every tracked commitment whose status and
progress are not those of its latest update (or that has a status but no update), this
creates the update that explains it: dated when that status was set (from the change history,
today when the history does not tell), no author, a comment saying it was carried over. The
new update is the latest one, so nothing displayed changes and nothing is lost.
"""

from django.db import migrations
from django.utils import timezone

CARRIED_OVER = (
    "Statut repris de l'ancien suivi : il avait été enregistré sans point d'avancement daté."
)
NOT_REPORTED = "non_renseigne"
TRACKED = (
    ("action", "action", "HistoricalAction"),
    ("operationalobjective", "operational_objective", "HistoricalOperationalObjective"),
)


def _set_on(history, commitment):
    """When the commitment's current status and progress were set: the oldest record of the
    latest run of records holding them."""
    when = None
    records = history.objects.filter(id=commitment.pk).order_by("-history_date", "-history_id")
    for record in records.only("status", "progress", "history_date").iterator():
        if (record.status, record.progress) != (commitment.status, commitment.progress):
            break
        when = record.history_date
    return when


def carry_over_statuses(apps, schema_editor):
    ProgressUpdate = apps.get_model("commitments", "ProgressUpdate")
    today = timezone.localdate()
    for model_name, field, history_name in TRACKED:
        model = apps.get_model("commitments", model_name)
        history = apps.get_model("commitments", history_name)
        for commitment in model.objects.order_by("pk").iterator():
            updates = ProgressUpdate.objects.filter(**{field: commitment})
            latest = updates.order_by("-date", "-created_at", "-pk").first()
            current = (commitment.status, commitment.progress)
            if latest is None and current == (NOT_REPORTED, 0):
                continue
            if latest is not None and (latest.status, latest.progress) == current:
                continue
            when = _set_on(history, commitment)
            date = min(timezone.localtime(when).date(), today) if when else today
            if latest is not None and date < latest.date:
                # Recorded now, it is the latest of that day; even after an update dated in
                # the future (old data), so that the rule keeps explaining the status.
                date = latest.date
            ProgressUpdate.objects.create(
                **{field: commitment},
                date=date,
                status=commitment.status,
                progress=commitment.progress,
                comment=CARRIED_OVER,
            )


class Migration(migrations.Migration):
    dependencies = [("commitments", "0003_progress_rule")]

    operations = [migrations.RunPython(carry_over_statuses, migrations.RunPython.noop)]
