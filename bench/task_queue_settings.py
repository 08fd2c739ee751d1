"""Settings for `python -m bench.task_queues`: the project's, plus both task
queues under comparison (django-tasks' database backend is installed only for
this measurement: `pip install django-tasks django-tasks-db`)."""

from venueos.settings import *  # noqa: F403
from venueos.settings import INSTALLED_APPS

for _app in ("procrastinate.contrib.django", "django_tasks", "django_tasks_db"):
    if _app not in INSTALLED_APPS:
        INSTALLED_APPS.append(_app)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PROCRASTINATE_IMPORT_PATHS = ["bench.task_queue_jobs"]
