import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Sign-up and token creation are throttled per client IP; every test starts
    # with empty counters so the order of tests never matters.
    cache.clear()
    yield
    cache.clear()
