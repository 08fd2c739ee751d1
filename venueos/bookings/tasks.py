"""Scheduled booking jobs (run by `venueos worker`)."""

import logging

from procrastinate.contrib.django import app

from venueos.bookings.retention import booking_personal_data_erase_expired

logger = logging.getLogger(__name__)


@app.periodic(cron="17 3 * * *", periodic_id="booking-retention")
@app.task(name="bookings.erase_expired_personal_data", queueing_lock="retention")
def erase_expired_personal_data(timestamp: int) -> None:
    """Daily at 03:17 UTC: the organizations' booking retention."""
    erased = booking_personal_data_erase_expired()
    logger.info("erased the free text of %d bookings", erased, extra={"erased": erased})
