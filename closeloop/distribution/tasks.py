"""Distribution's background tasks; each part's module is imported here so the worker finds it."""

from closeloop.distribution import sending  # noqa: F401  campaigns, reminders, recurring runs
from closeloop.integrations import outbox  # noqa: F401  the outbox sender
