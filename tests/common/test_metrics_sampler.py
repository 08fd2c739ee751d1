"""The pool sampler thread must outlive a failing sampler, or every sampled
gauge freezes at its last value."""

from __future__ import annotations

import logging

from venueos.common import metrics


def test_every_registered_sampler_runs_without_error():
    # The apps register their samplers at start-up; one that cannot run
    # (a stale import) would have killed the thread.
    for sample in list(metrics._samplers):
        sample()


def test_a_failing_sampler_is_logged_and_the_others_still_run(monkeypatch, caplog):
    ran = []

    def broken() -> None:
        raise RuntimeError("sampler broke")

    monkeypatch.setattr(metrics, "_samplers", [broken, lambda: ran.append(True)])
    metrics.DB_POOL.labels("max").set(-1)
    with caplog.at_level(logging.ERROR, logger="venueos.common.metrics"):
        metrics._sample_once()
        metrics._sample_once()
    assert ran == [True, True]
    assert metrics.DB_POOL.labels("max")._value.get() >= 0
    failures = [r for r in caplog.records if "sampler" in r.getMessage()]
    assert len(failures) == 2
    assert failures[0].exc_info is not None
