"""Background jobs in the admin (perer/lib/jobs.py): staff see every job, its queue, its
attempts and, for a failed one, its error; they can put failed jobs back in their queue. A job's
arguments are never shown (an email's body may hold a one-time login link): an email shows its
recipients and subject.

django-tasks-db registers a read-only admin for its DBTaskResult; this one replaces it with
French columns, a filter on the state, and the "relancer" action. Agglomeration staff and
superusers see it (no model permission needed: the groups' permissions are about protocols);
nobody adds, edits or deletes a job by hand. Queries: one for the list page.
"""

from django.contrib import admin, messages
from django.utils.html import format_html
from django_tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from commitments.permissions import can_see_jobs
from perer.lib.admin_wording import FrenchTitlesMixin
from perer.lib.jobs import requeue_failed

STATUS_LABELS = {
    TaskResultStatus.READY: "en attente",
    TaskResultStatus.RUNNING: "en cours",
    TaskResultStatus.FAILED: "échouée",
    TaskResultStatus.SUCCESSFUL: "réussie",
}


class JobStatusFilter(admin.SimpleListFilter):
    title = "état"
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return list(STATUS_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() in STATUS_LABELS:
            return queryset.filter(status=self.value())
        return queryset


if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class JobAdmin(FrenchTitlesMixin, DBTaskResultAdmin):
    list_display = (
        "job_name",
        "job_status",
        "queue_name",
        "attempts",
        "enqueued_at",
        "started_at",
        "finished_at",
        "error",
    )
    list_filter = (JobStatusFilter, "queue_name")
    list_display_links = ("job_name",)
    actions = ["requeue"]
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        """The package's fields, but never the job's arguments: an email's hold its body, and
        a password-reset or invitation link in it would let whoever reads it into that account.
        What the email is (recipients, subject) is shown instead."""
        fields = super().get_readonly_fields(request, obj)
        fields[fields.index("args_kwargs")] = "job_summary"
        fields[fields.index("return_value")] = "job_result"
        return fields

    @admin.display(description="contenu")
    def job_summary(self, job):
        kwargs = (job.args_kwargs or {}).get("kwargs") or {}
        if "recipients" in kwargs and "subject" in kwargs:
            return f"Courriel à {', '.join(kwargs['recipients'])} — « {kwargs['subject']} »"
        return "(arguments non affichés)"

    @admin.display(description="résultat")
    def job_result(self, job):
        return "" if job.return_value is None else str(job.return_value)[:200]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or can_see_jobs(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or can_see_jobs(request.user)

    @admin.display(description="tâche", ordering="task_path")
    def job_name(self, job):
        return job.task_path.rsplit(".", 1)[-1]

    @admin.display(description="état", ordering="status")
    def job_status(self, job):
        return STATUS_LABELS.get(job.status, job.status)

    @admin.display(description="tentatives")
    def attempts(self, job):
        return len(job.worker_ids or [])

    @admin.display(description="erreur")
    def error(self, job):
        if not job.exception_class_path:
            return ""
        return format_html("<code>{}</code>", job.exception_class_path.rsplit(".", 1)[-1])

    @admin.display(description="trace de l'erreur")
    def formatted_traceback(self, job):
        return super().formatted_traceback(job)

    @admin.display(description="à exécuter après")
    def display_run_after(self, job):
        return super().display_run_after(job)

    @admin.action(description="Remettre en file les tâches échouées sélectionnées")
    def requeue(self, request, queryset):
        count = requeue_failed(queryset)
        if count:
            self.message_user(request, f"{count} tâche(s) remise(s) en file.", messages.SUCCESS)
        else:
            self.message_user(
                request,
                "Aucune tâche échouée dans la sélection : rien n'a été relancé.",
                messages.WARNING,
            )
