"""Domain-event subscriptions of the distribution app; each part imports its handlers here."""

from closeloop.distribution import sending  # noqa: F401  campaigns
