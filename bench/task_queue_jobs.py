"""The job both task queues run in `bench.task_queues`: it does nothing, so the
figures are the queue's own cost."""

from django_tasks import task as django_task
from procrastinate.contrib.django import app


@app.task(name="bench_noop")
def noop_procrastinate(n: int) -> None:
    return None


@django_task()
def noop_django_tasks(n: int) -> None:
    return None
