"""Theme summaries: extractive without a provider (the most representative comments), and an
OpenAI-compatible endpoint when the operator configured one, tested against a local fake
server (never the network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from closeloop.integrations.tests.receiver import Receiver, receiver
from closeloop.text.summaries import extractive_summary
from closeloop.text.tests.ui_factories import add_comments, theme
from conftest import Personas

pytestmark = pytest.mark.django_db

LATE = [
    "The delivery was late and the soup was cold",
    "Delivery late again, soup cold when it arrived",
    "Late delivery, cold soup, not happy",
    "The delivery came an hour late and everything was cold",
    "Delivery was late, the noodles were cold",
]
ODD = "My delivery rider sang a song about llamas in the elevator"


@pytest.fixture
def late_deliveries(personas: Personas) -> None:
    add_comments(
        personas.org,
        [{"text": t, "score": 3} for t in [*LATE, LATE[0], ODD]]
        + [{"text": "배송이 늦었어요", "score": 2}],
    )


def test_extractive_summary_picks_representative_comments(
    personas: Personas, late_deliveries: None
) -> None:
    groups = extractive_summary(theme=theme(personas.org, "delivery"), language="en")
    assert [g.language for g in groups] == ["en", "ko"]
    english = groups[0]
    assert english.total == 7
    chosen = [r.comment.text for r in english.comments]
    assert len(chosen) == 3
    assert ODD not in chosen  # far from what the theme's comments have in common
    assert len(set(chosen)) == 3  # the repeated comment is chosen once at most
    assert all(t in LATE for t in chosen)
    assert [r.comment.text for r in groups[1].comments] == ["배송이 늦었어요"]


@pytest.fixture
def provider(settings: Any) -> Iterator[Receiver]:
    """A fake OpenAI-compatible server on 127.0.0.1, configured as the summary provider."""
    settings.OUTBOUND_ALLOW_PRIVATE = False  # the operator's own URL may be local anyway
    with receiver() as server:
        settings.TEXT_SUMMARY_URL = f"{server.url}/v1"
        settings.TEXT_SUMMARY_MODEL = "tiny-summarizer"
        settings.TEXT_SUMMARY_API_KEY = "sk-local-test"
        yield server


def completion(text: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()


def test_provider_summary_on_the_theme_page(
    personas: Personas, late_deliveries: None, provider: Receiver
) -> None:
    provider.answer = lambda n: (
        200,
        completion("- Deliveries arrive late\n- Food arrives cold"),
        {"Content-Type": "application/json"},
    )
    delivery = theme(personas.org, "delivery")
    url = reverse("text:theme", args=[personas.org.slug, delivery.pk])
    client = personas.client_for(personas.viewer)
    before = client.get(url).content.decode()
    assert "Write a summary" in before and 'data-testid="provider-summary"' not in before

    asked = client.post(reverse("text:theme_summary", args=[personas.org.slug, delivery.pk]))
    assert asked.status_code == 302 and asked["Location"].endswith("#summary")
    page = client.get(url).content.decode()
    assert "Deliveries arrive late" in page and "Food arrives cold" in page
    assert 'data-testid="extractive-summary"' in page  # still there

    assert len(provider.requests) == 1
    sent = provider.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-local-test"
    body = json.loads(sent.body)
    assert body["model"] == "tiny-summarizer"
    prompt = body["messages"][-1]["content"]
    assert "Delivery" in prompt and "배송이 늦었어요" in prompt and ODD in prompt

    # Cached: asking again does not call the provider again.
    client.post(reverse("text:theme_summary", args=[personas.org.slug, delivery.pk]))
    assert len(provider.requests) == 1


def test_provider_failure_leaves_the_extractive_summary(
    personas: Personas, late_deliveries: None, provider: Receiver
) -> None:
    provider.answer = lambda n: (500, b"overloaded", {})
    delivery = theme(personas.org, "delivery")
    client = personas.client_for(personas.viewer)
    client.post(reverse("text:theme_summary", args=[personas.org.slug, delivery.pk]))
    page = client.get(reverse("text:theme", args=[personas.org.slug, delivery.pk]))
    body = page.content.decode()
    assert "The summary provider did not answer (HTTP 500)." in body
    assert 'data-testid="extractive-summary"' in body
    assert 'data-testid="provider-summary"' not in body

    provider.answer = lambda n: (200, b'{"choices": []}', {})
    client.post(reverse("text:theme_summary", args=[personas.org.slug, delivery.pk]))
    body = client.get(reverse("text:theme", args=[personas.org.slug, delivery.pk]))
    assert "could not be read" in body.content.decode()


def test_without_a_provider_nothing_is_called(personas: Personas, late_deliveries: None) -> None:
    delivery = theme(personas.org, "delivery")
    client = personas.client_for(personas.viewer)
    client.post(reverse("text:theme_summary", args=[personas.org.slug, delivery.pk]))
    body = client.get(reverse("text:theme", args=[personas.org.slug, delivery.pk])).content
    assert "No summary provider is configured" in body.decode()
    assert b"Write a summary" not in body


def _check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TEXT_SUMMARY_")}
    environ.pop("DATABASE_URL", None)
    environ.update(CLOSELOOP_VAR_DIR=str(tmp_path), **variables)
    return subprocess.run(
        [sys.executable, "-m", "closeloop.cli", "check"],
        env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_bad_provider_settings_stop_startup_naming_them(tmp_path: Path) -> None:
    bad_url = _check(tmp_path, TEXT_SUMMARY_URL="localhost:11434", TEXT_SUMMARY_MODEL="m")
    assert bad_url.returncode == 2
    assert "TEXT_SUMMARY_URL" in bad_url.stderr + bad_url.stdout
    no_model = _check(tmp_path, TEXT_SUMMARY_URL="http://127.0.0.1:11434/v1")
    assert no_model.returncode == 2
    assert "TEXT_SUMMARY_MODEL: required when TEXT_SUMMARY_URL is set" in (
        no_model.stderr + no_model.stdout
    )
