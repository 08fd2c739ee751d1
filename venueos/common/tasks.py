"""Task-queue housekeeping and the queue's state for health, metrics and the
CLI (procrastinate's tables: docs/adr/0006)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app


@app.periodic(cron="* * * * *", periodic_id="retry-stalled-jobs")
@app.task(name="ops.retry_stalled_jobs", queueing_lock="retry-stalled-jobs")
async def retry_stalled_jobs(timestamp: int) -> None:
    """Put back the running jobs of workers whose heartbeat stopped (killed,
    machine lost), so that no job is lost with its worker. Also run once when
    a worker starts (`venueos worker`)."""
    stalled_after = settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]
    jobs = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
    for job in jobs:
        await app.job_manager.retry_job(job)


@app.periodic(cron="23 * * * *", periodic_id="purge-expired-records")
@app.task(name="ops.purge_expired_records", queueing_lock="purge-expired-records")
def purge_expired_records(timestamp: int) -> None:
    """Hourly: idempotency records past their 24 h and ended rate-limit
    windows (the same as `venueos purge`)."""
    from venueos.common.idempotency import idempotency_records_purge
    from venueos.common.throttling import rate_counters_purge

    idempotency_records_purge()
    rate_counters_purge()


@dataclass
class QueueSummary:
    counts: dict[str, int]
    waiting: int
    oldest_waiting_seconds: float | None
    failed: list[dict] = field(default_factory=list)


# Due jobs only: a job waiting for its retry time is not late yet. A job waits
# since it was deferred, or since its retry time when it has one.
_WAITING = """
    SELECT count(*),
           extract(epoch FROM now() - min(greatest(deferred.at, job.scheduled_at)))
      FROM procrastinate_jobs job
      LEFT JOIN LATERAL (
           SELECT min(event.at) AS at FROM procrastinate_events event
            WHERE event.job_id = job.id AND event.type = 'deferred') deferred ON true
     WHERE job.status = 'todo'
       AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())
"""


def queue_waiting() -> tuple[int, float | None]:
    """(number of due jobs waiting, age in seconds of the oldest)."""
    with connection.cursor() as cursor:
        cursor.execute(_WAITING)
        waiting, oldest = cursor.fetchone()
    return waiting, float(oldest) if oldest is not None else None


def queue_summary(failed_limit: int = 20) -> QueueSummary:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1 ORDER BY 1"
        )
        counts = dict(cursor.fetchall())
        cursor.execute(
            "SELECT id, task_name, args, attempts FROM procrastinate_jobs"
            " WHERE status = 'failed' ORDER BY id DESC LIMIT %s",
            [failed_limit],
        )
        columns = [column.name for column in cursor.description]
        failed = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    waiting, oldest = queue_waiting()
    return QueueSummary(counts, waiting, oldest, failed)


def retry_failed_job(job_id: int) -> bool:
    """Run a failed job again now (the admin shows it; `venueos jobs --retry`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM procrastinate_jobs WHERE id = %s AND status = 'failed'",
            [job_id],
        )
        if cursor.fetchone() is None:
            return False
    app.job_manager.retry_job_by_id(job_id, retry_at=timezone.now())
    return True
