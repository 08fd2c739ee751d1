"""Conditional UPDATE vs SELECT ... FOR UPDATE for one hot ticket row, straight
over psycopg on a throw-away embedded PostgreSQL (docs/adr/0004).

    .venv/bin/python -m bench.sale_strategies

5,000 attempts for 500 places, each a whole sale transaction (the row change
plus a registration insert, as venueos/events/services.py does), at 12
connections (what `venueos serve` opens: 2 workers x 6) and at 100.
"""

import statistics
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from venueos import embedded

DATA = Path(tempfile.mkdtemp(prefix="venueos-sale-")) / "pgdata"
srv = embedded.start(DATA, throwaway=True)
# Its own scratch tables: the owner creates them and runs the sales.
admin = psycopg.connect(srv.owner_url, autocommit=True)
admin.execute("DROP TABLE IF EXISTS ev")
admin.execute("DROP TABLE IF EXISTS reg")
admin.execute(
    "CREATE TABLE ev (id int primary key, status text, capacity int, sold int, CHECK (sold <= capacity))"
)
admin.execute(
    "CREATE TABLE reg (id bigserial primary key, ev int, attendee int, qty int, status text)"
)
admin.execute(
    "CREATE UNIQUE INDEX reg_one_active ON reg (ev, attendee) WHERE status = 'active'"
)


def conditional(conn, attendee):
    with conn.transaction():
        row = conn.execute(
            "UPDATE ev SET sold = sold + 1 WHERE id = 1 AND status = 'on_sale' AND sold + 1 <= capacity RETURNING sold"
        ).fetchone()
        if row is None:
            conn.execute(
                "SELECT status, capacity, sold FROM ev WHERE id = 1"
            ).fetchone()  # explain why, as the app does
            return False
        conn.execute(
            "INSERT INTO reg (ev, attendee, qty, status) VALUES (1, %s, 1, 'active')",
            [attendee],
        )
        return True


def for_update(conn, attendee):
    with conn.transaction():
        status, cap, sold = conn.execute(
            "SELECT status, capacity, sold FROM ev WHERE id = 1 FOR NO KEY UPDATE"
        ).fetchone()
        if status != "on_sale" or sold + 1 > cap:
            return False
        conn.execute("UPDATE ev SET sold = sold + 1 WHERE id = 1")
        conn.execute(
            "INSERT INTO reg (ev, attendee, qty, status) VALUES (1, %s, 1, 'active')",
            [attendee],
        )
        return True


def run(fn, conns, attempts=5000, places=500):
    admin.execute("TRUNCATE reg")
    admin.execute("DELETE FROM ev")
    admin.execute("INSERT INTO ev VALUES (1, %s, %s, 0)", ["on_sale", places])
    connections = [psycopg.connect(srv.owner_url) for _ in range(conns)]
    counter = iter(range(attempts))
    lock = threading.Lock()
    wins = []
    lat = []
    winlat = []
    barrier = threading.Barrier(conns)

    def worker(conn):
        barrier.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = time.perf_counter()
            ok = fn(conn, i)
            d = time.perf_counter() - t
            lat.append(d)
            if ok:
                wins.append(i)
                winlat.append(d)

    threads = [threading.Thread(target=worker, args=(c,)) for c in connections]
    t0 = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    wall = time.perf_counter() - t0
    sold = admin.execute("SELECT sold FROM ev").fetchone()[0]
    regs = admin.execute("SELECT count(*) FROM reg").fetchone()[0]
    for c in connections:
        c.close()
    q = statistics.quantiles(sorted(winlat), n=20)
    print(
        f"{fn.__name__:12} conns={conns:3} sold={sold} regs={regs} wall={wall:.2f}s attempts/s={attempts / wall:.0f} winners p50={statistics.median(winlat) * 1000:.1f}ms p95={q[18] * 1000:.1f}ms"
    )


for conns in (12, 100):
    for fn in (conditional, for_update, conditional, for_update):
        run(fn, conns)
embedded.stop(DATA, remove=True)
