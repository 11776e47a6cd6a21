from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Protocoles et engagements"

    def ready(self):
        from django.contrib import admin

        from perer.lib.admin_mixins import protect_model_admins
        from territories.changes import territories_changed

        # The admin registered every app's ModelAdmins when it became ready (it comes first
        # in INSTALLED_APPS): all of them answer bad input with a message, never a 500.
        protect_model_admins(admin.site)

        # territories/admin.py cannot call commitments' services: it announces its writes.
        territories_changed.connect(_record_territories_change, dispatch_uid="perer_content")


def _record_territories_change(sender, territories, **kwargs):
    """`territories`: instances, or one queryset (see territories/changes.py)."""
    from commitments.services.content_changes import record_change

    changed = list(territories) if isinstance(territories, list | tuple) else [territories]
    record_change(*changed)
