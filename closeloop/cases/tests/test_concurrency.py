"""Case numbers stay unique when many cases are opened at the same time (each creator waits
for the org's counter row). PostgreSQL only: SQLite serialises every writer anyway."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from closeloop.cases.config import case_defaults_ensure
from closeloop.cases.models import Case
from closeloop.cases.tests.factories import make_case
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_creates_get_distinct_numbers(personas: Personas) -> None:
    case_defaults_ensure(organization=personas.org)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            for _ in range(5):
                make_case(personas.org, assignee_strategy="round_robin")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(
        Case.objects.filter(organization=personas.org).values_list("number", flat=True)
    )
    assert numbers == list(range(1001, 1031))
