"""The announcements API: create with texts per language, send, follow, list recipients;
problem+json naming the field; another organization's announcements are 404."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.api.testing import ApiClient
from closeloop.core.worker import run_ready_tasks
from closeloop.initiatives.tests.announce_factories import make_initiative, make_theme, person, say
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _mailbox(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}


def _initiative(personas: Personas, status: str = "shipped") -> Any:
    org = personas.org
    initiative = make_initiative(org, status=status)
    theme = make_theme(org)
    initiative.themes.add(theme)
    say(org, person(org, "hana@example.kr", "Hana", "ko"), theme, "원두가 오래됐어요")
    say(org, person(org, "tom@example.com", "Tom", "en"), theme, "Stale beans")
    return initiative


def test_create_send_follow_and_recipients(
    personas: Personas, writer: ApiClient, reader: ApiClient
) -> None:
    initiative = _initiative(personas)
    response = writer.post(
        f"/initiatives/{initiative.pk}/announcements",
        {
            "texts": {
                "ko": {
                    "subject": "바꿨어요, {{ first_name }}님",
                    "body": "{{ what_they_said }} → {{ what_changed }}",
                }
            },
            "what_changed": {"ko": "매일 로스팅합니다."},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and set(body["texts"]) == {"en", "ko"}
    assert body["initiative_number"] == initiative.number
    pk = body["id"]
    assert reader.post(f"/announcements/{pk}/send").status_code == 403
    sent = writer.post(f"/announcements/{pk}/send")
    assert sent.status_code == 202 and sent.json()["status"] == "sending"
    run_ready_tasks()
    detail = reader.get(f"/announcements/{pk}").json()
    assert detail["status"] == "sent"
    assert detail["counts"]["sent"] == 2 and detail["counts"]["percent"] == 100
    recipients = reader.get(f"/announcements/{pk}/recipients").json()
    items = recipients["items"] if isinstance(recipients, dict) else recipients
    by_email = {r["email"]: r for r in items}
    assert by_email["hana@example.kr"]["language"] == "ko"
    assert by_email["hana@example.kr"]["reasons"][0]["text"] == "원두가 오래됐어요"
    assert by_email["tom@example.com"]["status"] == "sent"
    listed = reader.get("/announcements").json()
    listed_items = listed["items"] if isinstance(listed, dict) else listed
    assert [a["id"] for a in listed_items] == [pk]
    again = writer.post(f"/announcements/{pk}/send")
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")


def test_errors_name_the_field(personas: Personas, writer: ApiClient) -> None:
    initiative = _initiative(personas, status="planned")
    bad = writer.post(
        f"/initiatives/{initiative.pk}/announcements",
        {"texts": {"ko": {"subject": "", "body": "x"}}},
    )
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["field"] == "texts.ko.subject"
    unknown = writer.post(
        f"/initiatives/{initiative.pk}/announcements",
        {"texts": {"en": {"subject": "Hi", "body": "{{ secret }}"}}},
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "texts.en.body"
    draft = writer.post(f"/initiatives/{initiative.pk}/announcements", {}).json()
    not_shipped = writer.post(f"/announcements/{draft['id']}/send")
    assert not_shipped.status_code == 400 and not_shipped.json()["field"] == "initiative"


def test_other_organization_is_404(
    personas: Personas, writer: ApiClient, other_writer: ApiClient
) -> None:
    initiative = _initiative(personas)
    pk = writer.post(f"/initiatives/{initiative.pk}/announcements", {}).json()["id"]
    assert other_writer.get(f"/announcements/{pk}").status_code == 404
    assert other_writer.get(f"/announcements/{pk}/recipients").status_code == 404
    assert other_writer.post(f"/announcements/{pk}/send").status_code == 404
    assert other_writer.post(f"/initiatives/{initiative.pk}/announcements", {}).status_code == 404
    listed = other_writer.get("/announcements").json()
    assert (listed["items"] if isinstance(listed, dict) else listed) == []
