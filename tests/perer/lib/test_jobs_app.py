"""perer/lib/jobs_app.py: django-tasks-db's app, named in French in the admin."""

from django.apps import apps

from perer.lib.jobs_app import JobsAppConfig


def test_the_jobs_app_is_installed_under_its_french_name():
    config = apps.get_app_config("django_tasks_database")
    assert isinstance(config, JobsAppConfig)
    assert config.verbose_name == "Tâches en arrière-plan"


def test_admin_index_lists_the_jobs_under_that_name(superuser_client):
    page = superuser_client.get("/admin/").content.decode()
    assert "Tâches en arrière-plan" in page
