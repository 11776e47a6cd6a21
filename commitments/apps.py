from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Protocoles et engagements"

    def ready(self):
        from commitments import signals  # noqa: F401
