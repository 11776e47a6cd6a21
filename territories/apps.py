from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires"

    def ready(self):
        from territories.two_factor import mark_pending_on_login

        # Any login of an enrolled user leaves its second factor pending (two_factor.py).
        user_logged_in.connect(mark_pending_on_login, dispatch_uid="perer_two_factor_pending")
