"""Demo data (`venueos demo`): idempotent, built through the services."""

DEMO_LOGINS = []


def demo_present() -> bool:
    return True


def load_demo() -> bool:
    return False
