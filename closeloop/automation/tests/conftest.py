"""Fixtures for the automation tests: complete responses and run the rules as the worker would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from closeloop.automation.tests.factories import answer
from closeloop.core.worker import run_ready_tasks
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey

MAILBOX = "closeloop.integrations.mailbox.MailboxBackend"


@pytest.fixture(autouse=True)
def _mailbox(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": MAILBOX}}


@pytest.fixture
def complete() -> Iterator[Callable[..., Response]]:
    """Complete a response through the responses service, then run the queued tasks as the
    worker does (the rules, and the outbox sending what they queued). Needs a test marked
    django_db(transaction=True): events fire on commit and the worker manages connections."""

    def run(survey: Survey, **kwargs: Any) -> Response:
        response = answer(survey, **kwargs)
        run_ready_tasks()
        return response

    yield run


@pytest.fixture(autouse=True)
def _start_without_rules(request: pytest.FixtureRequest) -> None:
    """Each test starts from an organization without rules, whether or not organization_create
    installs the defaults; tests that want them call automation_ensure_defaults."""
    if "personas" not in request.fixturenames:
        return
    from closeloop.automation.models import AutomationSetup, Rule

    personas = request.getfixturevalue("personas")
    Rule.objects.filter(organization=personas.org).delete()
    AutomationSetup.objects.filter(organization=personas.org).delete()
