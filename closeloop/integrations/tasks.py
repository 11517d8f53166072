"""Integrations' background tasks, imported so the worker finds them: the outbox sender and
the hourly disabling of failing webhook endpoints."""

from closeloop.integrations import outbox, transports, webhooks  # noqa: F401
