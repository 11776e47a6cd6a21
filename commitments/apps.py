from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Protocoles et engagements"

    def ready(self):
        from django.contrib import admin

        from commitments import signals  # noqa: F401
        from perer.lib.admin_mixins import protect_model_admins

        # The admin registered every app's ModelAdmins when it became ready (it comes first
        # in INSTALLED_APPS): all of them answer bad input with a message, never a 500.
        protect_model_admins(admin.site)
