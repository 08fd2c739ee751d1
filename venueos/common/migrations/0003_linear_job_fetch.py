"""The job queue's fetch never sorts its whole backlog (ADR 0006).

procrastinate's `procrastinate_fetch_job_v2` picks the next job with
`ORDER BY priority DESC, id LIMIT 1` and a NOT EXISTS test of the job's lock.
Right after a burst of jobs (a flash sale defers one e-mail per sale), the
table's statistics still say that almost no job waits. The planner then
reads every waiting job, tests each one's lock against every waiting job,
and sorts: N² per fetch. With 300 waiting jobs one fetch took 23 ms; in a
flash sale of 500 places the worker's database sessions used 10 of the 56
CPU-seconds the run had, and these fetches took 16.8 s of execution time
against under 0.2 s for the worker's other statements. Without sorts the
planner walks the priority index in order and stops at the first job it may
take: 0.3 ms for the same backlog.
The setting holds only while the function runs; the order and lock rules of
the fetch are unchanged.
"""

from django.db import migrations

FETCH = "procrastinate_fetch_job_v2(character varying[], bigint)"

SQL = f"ALTER FUNCTION {FETCH} SET enable_sort = off;"
REVERSE = f"ALTER FUNCTION {FETCH} RESET enable_sort;"


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_ratecounter"),
        ("procrastinate", "0041_post_retry_failed_job"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
