"""`parse` validates with one serializer instance per thread and class: each
call gets its own answer, errors never leak into the next call, and threads
never share an instance."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from venueos.bookings.serializers import BookingCreateIn
from venueos.common.api import _validator, parse
from venueos.common.problems import InvalidInput, to_problem


def _booking(space_id: uuid.UUID, title: str, **extra) -> dict:
    return {
        "space_id": str(space_id),
        "start_time": "2030-01-07T10:00:00Z",
        "end_time": "2030-01-07T11:00:00Z",
        "title": title,
        **extra,
    }


def _errors(data: dict) -> dict:
    with pytest.raises(Exception) as raised:
        parse(BookingCreateIn, data)
    problem = to_problem(raised.value)
    assert isinstance(problem, InvalidInput)
    return problem.as_dict()["errors"]


def test_each_call_gets_its_own_answer_and_errors_do_not_carry_over():
    first_space, second_space = uuid.uuid4(), uuid.uuid4()
    first = parse(BookingCreateIn, _booking(first_space, "First", attendee_count=7))
    first["title"] = "changed by the caller"

    assert _errors({"title": "No times"}) == {
        "start_time": ["This field is required."],
        "end_time": ["This field is required."],
    }
    assert _errors(_booking(first_space, "Both", facility_id=str(second_space))) == {
        "space_id": ["space_id and facility_id differ."]
    }

    second = parse(BookingCreateIn, {**_booking(second_space, "Second")})
    assert second["space_id"] == second_space
    assert second["title"] == "Second"
    assert second["attendee_count"] == 1  # the default, not the first call's 7
    assert "facility_id" not in second
    assert first["space_id"] == first_space and first["attendee_count"] == 7


def test_a_thread_keeps_one_instance_and_threads_never_share_one():
    mine = _validator(BookingCreateIn)
    assert _validator(BookingCreateIn) is mine
    with ThreadPoolExecutor(max_workers=1) as pool:
        theirs = pool.submit(_validator, BookingCreateIn).result()
    assert theirs is not mine


def test_concurrent_threads_each_get_their_own_values_back():
    start = threading.Barrier(8)

    def worker(number: int) -> list[str]:
        start.wait()
        wrong = []
        for round_ in range(200):
            space_id = uuid.uuid4()
            title = f"thread {number} round {round_}"
            if round_ % 3 == 0:
                errors = _errors({"space_id": str(space_id), "title": title})
                if set(errors) != {"start_time", "end_time"}:
                    wrong.append(f"{title}: {errors}")
                continue
            data = parse(BookingCreateIn, _booking(space_id, title))
            if (data["space_id"], data["title"]) != (space_id, title):
                wrong.append(f"{title}: got {data}")
        return wrong

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(worker, range(8)))
    assert results == [[]] * 8
