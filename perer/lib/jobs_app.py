"""django-tasks-db's app under a French name in the admin ("Tâches en arrière-plan"); its
model and field names are translated in perer/locale/fr (perer/lib/jobs.py has the rules)."""

from django_tasks_db.apps import TasksAppConfig


class JobsAppConfig(TasksAppConfig):
    verbose_name = "Tâches en arrière-plan"
