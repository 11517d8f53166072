"""Fixtures for the responses tests: published surveys and a clean rate-limit cache."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache

from closeloop.responses.testing import (
    feedback_definition,
    five_question_definition,
    publish_survey,
)
from closeloop.surveys.models import Survey

if TYPE_CHECKING:
    from conftest import Personas


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def survey(personas: Personas) -> Survey:
    """A published three-page survey with logic, in English and Korean."""
    return publish_survey(personas.org, feedback_definition())


@pytest.fixture
def five(personas: Personas) -> Survey:
    """A published survey of five questions, one per page."""
    return publish_survey(personas.org, five_question_definition(), name="Five")
