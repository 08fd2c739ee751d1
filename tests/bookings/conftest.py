"""Fixtures of the booking tests: a small space tree and two customers."""

from __future__ import annotations

import pytest

from tests.conftest import make_space, make_user


@pytest.fixture
def tree(venue):
    """Hall > Room A > Corner, and Room B beside Room A."""
    hall = make_space(venue, name="Hall", capacity=200)
    room_a = make_space(venue, hall, name="Room A", capacity=20)
    room_b = make_space(venue, hall, name="Room B", capacity=20)
    corner = make_space(venue, room_a, name="Corner", capacity=5)
    return {"hall": hall, "a": room_a, "b": room_b, "corner": corner}


@pytest.fixture
def alice(db):
    return make_user(full_name="Alice")


@pytest.fixture
def bob(db):
    return make_user(full_name="Bob")
