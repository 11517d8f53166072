"""Initiative numbers stay unique when many are created at once (each creator waits for the
organization's row lock). PostgreSQL only: SQLite serialises every writer anyway."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.factories_initiatives import make_initiative
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_creates_get_distinct_numbers(personas: Personas) -> None:
    errors: list[BaseException] = []

    def create() -> None:
        try:
            for n in range(5):
                make_initiative(personas.org, title=f"Parallel {n}")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(
        Initiative.objects.filter(organization=personas.org).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 26))
