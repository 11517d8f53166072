"""The announcement pages as a member uses them: compose per language with the recipients,
preview, send, follow the progress; the frequency settings; the mark on a later response."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from closeloop.contacts.services import contact_unsubscribe
from closeloop.core.worker import run_ready_tasks
from closeloop.initiatives import announcements as svc
from closeloop.initiatives.models import Announcement, AnnouncementRecipient, OuterLoopSettings
from closeloop.initiatives.tests.announce_factories import make_initiative, make_theme, person, say
from closeloop.integrations.models import MailboxMessage
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
    gone = person(org, "gone@example.com", "Gone", "en")
    say(org, gone, theme, "Bad beans")
    contact_unsubscribe(contact=gone, via="link")
    return initiative


def _post_data(page: Any, **changes: str) -> dict[str, str]:
    form = page.context["form"]
    data = {name: str(form[name].value()) for name in form.fields}
    data.update(changes)
    return data


def test_compose_preview_send_and_follow(personas: Personas) -> None:
    org = personas.org
    initiative = _initiative(personas)
    client = personas.client_for(personas.analyst)
    url = f"/o/{org.slug}/announcements/new/{initiative.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="language-en"' in html and 'data-testid="language-ko"' in html
    assert 'data-testid="language-th"' not in html
    assert "gone@example.com" in html and "Unsubscribed" in html
    assert "원두가 오래됐어요" in html

    saved = client.post(
        url, _post_data(page, ko_subject="새 제목 {{ first_name }}님", action="save")
    )
    announcement = Announcement.objects.get(initiative=initiative)
    assert saved.status_code == 302 and saved["Location"].endswith(f"/{announcement.pk}/")
    assert announcement.texts["ko"]["subject"] == "새 제목 {{ first_name }}님"
    hana = announcement.initiative.organization and svc.recipients_planned(initiative=initiative)
    key = next(p.recipient.key for p in hana if p.recipient.email == "hana@example.kr")
    preview = client.get(f"/o/{org.slug}/announcements/{announcement.pk}/preview/?r={key}")
    assert "새 제목 Hana님" in preview.content.decode()

    sent = client.post(f"/o/{org.slug}/announcements/{announcement.pk}/send/")
    assert sent.status_code == 302
    progress = client.get(
        f"/o/{org.slug}/announcements/{announcement.pk}/?part=progress", HTTP_HX_REQUEST="true"
    )
    assert b'hx-trigger="every 2s"' in progress.content
    run_ready_tasks()
    detail = client.get(f"/o/{org.slug}/announcements/{announcement.pk}/")
    text = detail.content.decode()
    assert 'data-testid="count-sent">2<' in text and 'data-testid="count-skipped">1<' in text
    assert "hx-trigger" not in text
    assert "Unsubscribed: they asked not to receive emails." in text
    assert 'data-testid="told-nps"' in text and "n = 0" in text
    skipped = client.get(f"/o/{org.slug}/announcements/{announcement.pk}/?status=skipped")
    assert skipped.content.decode().count('data-testid="recipient"') == 1
    listing = client.get(f"/o/{org.slug}/announcements/").content.decode()
    assert f"I-{initiative.number}" in listing
    assert any(
        m.to == ["hana@example.kr"] and m.subject == "새 제목 Hana님"
        for m in MailboxMessage.objects.all()
    )


def test_send_refused_before_shipping(personas: Personas) -> None:
    org = personas.org
    initiative = _initiative(personas, status="in_progress")
    client = personas.client_for(personas.owner)
    url = f"/o/{org.slug}/announcements/new/{initiative.pk}/"
    page = client.get(url)
    assert b'data-testid="send-now"' not in page.content
    response = client.post(url, _post_data(page, action="send"), follow=True)
    assert "once it has shipped" in response.content.decode()
    assert Announcement.objects.get(initiative=initiative).status == "draft"


def test_roles_and_other_organizations(personas: Personas) -> None:
    org = personas.org
    initiative = _initiative(personas)
    announcement = svc.announcement_create(initiative=initiative)
    viewer = personas.client_for(personas.viewer)
    assert viewer.get(f"/o/{org.slug}/announcements/{announcement.pk}/").status_code == 200
    assert viewer.get(f"/o/{org.slug}/announcements/new/{initiative.pk}/").status_code == 403
    assert viewer.post(f"/o/{org.slug}/announcements/{announcement.pk}/send/").status_code == 403
    outsider = personas.client_for(personas.outsider)
    other = personas.other_org
    for path in (f"{announcement.pk}/", f"{announcement.pk}/preview/", f"new/{initiative.pk}/"):
        assert outsider.get(f"/o/{org.slug}/announcements/{path}").status_code == 404
        assert outsider.get(f"/o/{other.slug}/announcements/{path}").status_code == 404


def test_frequency_settings_page_for_admins(personas: Personas) -> None:
    org = personas.org
    url = f"/o/{org.slug}/announcements/settings/"
    assert personas.client_for(personas.analyst).get(url).status_code == 403
    admin = personas.client_for(personas.admin)
    assert admin.get(url).status_code == 200
    bad = admin.post(
        url, {"announcement_min_days_between": "400", "announcement_max_per_month": "2"}
    )
    assert bad.status_code == 400 and b"0 to 365" in bad.content
    ok = admin.post(url, {"announcement_min_days_between": "7", "announcement_max_per_month": "3"})
    assert ok.status_code == 302
    row = OuterLoopSettings.objects.get(organization=org)
    assert (row.announcement_min_days_between, row.announcement_max_per_month) == (7, 3)


def test_later_answer_is_marked_told(personas: Personas) -> None:
    from closeloop.cases.tests.factories import detractor_response

    org = personas.org
    initiative = _initiative(personas)
    announcement = svc.announcement_create(initiative=initiative)
    svc.announcement_send(announcement=announcement)
    run_ready_tasks()
    tom = AnnouncementRecipient.objects.get(
        announcement=announcement, contact__email="tom@example.com"
    )
    response = detractor_response(org, tom.contact, score=9)
    assert svc.response_told(response) == tom
    assert list(
        svc.told_contacts(org).values_list("contact_id", flat=True).order_by("contact_id")
    ) == sorted(
        AnnouncementRecipient.objects.filter(announcement=announcement, status="sent").values_list(
            "contact_id", flat=True
        )
    )
    page = personas.client_for(personas.viewer).get(f"/o/{org.slug}/responses/{response.pk}/")
    assert page.status_code == 200
    assert f"about I-{initiative.number} {initiative.title}".encode() in page.content
    # NPS of the recipients before/after being told: one answer after (a promoter).
    change = svc.told_nps_change(announcement)
    assert change.current.n == 1 and change.current.value == 100.0 and change.previous.n == 0
    earlier = detractor_response(org, tom.contact, score=2)
    assert svc.response_told(earlier) == tom  # answered after too (now)
    AnnouncementRecipient.objects.filter(pk=tom.pk).update(sent_at=timezone.now())
    assert svc.response_told(response) is None
