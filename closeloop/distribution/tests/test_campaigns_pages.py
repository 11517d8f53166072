"""The campaign pages: create with a list of contacts, progress while sending, the email
preview per contact and language, templates with a per-language editor, the invitations list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.urls import reverse

from closeloop.distribution.campaigns_services import campaign_send_now
from closeloop.distribution.choices import CampaignStatus, InvitationStatus
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation
from closeloop.distribution.sending import campaign_process
from closeloop.distribution.tests.campaigns_factories import (
    all_customers,
    bilingual_template,
    customer,
    make_campaign,
    nps_survey,
)

if TYPE_CHECKING:
    from conftest import Personas

pytestmark = pytest.mark.django_db


def test_create_a_campaign_for_listed_contacts(personas: Personas) -> None:
    org = personas.org
    survey = nps_survey(org)
    customer(org, "kim@example.kr", "민지", "ko", external_id="C-1")
    customer(org, "alice@example.com", "Alice", "en")
    admin = personas.client_for(personas.admin)
    url = reverse("campaigns:new", args=[org.slug])
    assert admin.get(url).status_code == 200

    form = {"name": "Pilot", "survey": survey.pk, "when": "draft", "max_reminders": "1"}
    missing = admin.post(url, {**form, "contact_list": "C-1\nnobody@example.com"})
    assert missing.status_code == 400
    assert "nobody@example.com" in missing.content.decode()

    saved = admin.post(url, {**form, "contact_list": "C-1\nALICE@example.com"})
    assert saved.status_code == 302
    campaign = Campaign.objects.get(name="Pilot")
    assert campaign.status == CampaignStatus.DRAFT
    assert sorted(c.email for c in campaign.contacts.all()) == [
        "alice@example.com",
        "kim@example.kr",
    ]
    detail = admin.get(reverse("campaigns:detail", args=[org.slug, campaign.pk]))
    assert detail.status_code == 200 and "Pilot" in detail.content.decode()

    viewer = personas.client_for(personas.viewer)
    assert viewer.get(url).status_code == 403
    assert viewer.get(reverse("campaigns:list", args=[org.slug])).status_code == 200


def test_the_detail_page_polls_progress_while_sending(personas: Personas) -> None:
    org = personas.org
    customer(org, "a@example.com", "A", "en")
    campaign = make_campaign(org, nps_survey(org), segment=all_customers(org))
    campaign_send_now(campaign=campaign)
    admin = personas.client_for(personas.admin)
    url = reverse("campaigns:detail", args=[org.slug, campaign.pk])

    part = admin.get(url + "?part=progress", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in part and "<html" not in part

    campaign_process(campaign_id=campaign.pk)
    part = admin.get(url + "?part=progress", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in part and "1 of 1 contacts processed" in part
    page = admin.get(url).content.decode()
    assert 'data-status="queued"' in page  # the invitation waits for the outbox


def test_preview_per_contact_and_language(personas: Personas) -> None:
    org = personas.org
    kim = customer(org, "kim@example.kr", "민지", "ko")
    campaign = make_campaign(
        org, nps_survey(org), segment=all_customers(org), template=bilingual_template(org)
    )
    client = personas.client_for(personas.viewer)
    url = reverse("campaigns:preview", args=[org.slug, campaign.pk])

    korean = client.get(url, {"contact": kim.pk})
    html = korean.content.decode()
    assert korean.status_code == 200
    assert "민지님, Acme Coffee은 어떠셨나요?" in html
    assert 'sandbox=""' in html and "srcdoc=" in html and "?nps=10" in html

    english = client.get(url, {"contact": kim.pk, "lang": "en"}).content.decode()
    assert "민지, how was Acme Coffee?" in english


def test_templates_editor_and_preview(personas: Personas) -> None:
    org = personas.org
    survey = nps_survey(org)
    admin = personas.client_for(personas.admin)
    listing = admin.get(reverse("campaigns:templates", args=[org.slug]))
    assert "Default invitation" in listing.content.decode()

    url = reverse("campaigns:template_new", args=[org.slug])
    form = {
        "name": "Thai launch",
        "subject_th": "{{organization.name}} อยากฟังความเห็นของคุณ",
        "body_th": "สวัสดี {{contact.first_name}} <b>",
        "button_th": "เริ่ม",
        "subject_en": "Hello from {{organization.name}}",
    }
    preview = admin.post(url, {**form, "_preview": "1", "_survey": survey.pk, "_lang": "en"})
    assert preview.status_code == 200
    assert "Hello from Acme Coffee" in preview.content.decode()
    assert not EmailTemplate.objects.filter(name="Thai launch").exists()

    assert admin.post(url, form).status_code == 302
    template = EmailTemplate.objects.get(name="Thai launch")
    assert template.texts["th"]["button"] == "เริ่ม" and "ko" not in template.texts

    edit = reverse("campaigns:template", args=[org.slug, template.pk])
    thai = admin.post(edit, {**form, "_preview": "1", "_survey": survey.pk, "_lang": "th"})
    body = thai.content.decode()
    assert "Acme Coffee อยากฟังความเห็นของคุณ" in body
    assert "&lt;b&gt;" in body  # the message is text, never HTML


def test_invitations_list_filters_and_names_the_rule(personas: Personas) -> None:
    org = personas.org
    from closeloop.contacts.services import contact_unsubscribe

    gone = customer(org, "gone@example.com", "Gone", "en")
    contact_unsubscribe(contact=gone, via="test")
    customer(org, "here@example.com", "Here", "en")
    campaign = make_campaign(org, nps_survey(org), segment=all_customers(org))
    campaign_send_now(campaign=campaign)
    campaign_process(campaign_id=campaign.pk)
    assert Invitation.objects.count() == 2

    client = personas.client_for(personas.viewer)
    url = reverse("campaigns:invitations", args=[org.slug])
    page = client.get(url, {"status": InvitationStatus.SUPPRESSED}).content.decode()
    assert "gone@example.com" in page and "here@example.com" not in page
    assert "The contact unsubscribed" in page
    by_contact = client.get(url, {"contact": str(gone.pk)}).content.decode()
    assert "gone@example.com" in by_contact and "here@example.com" not in by_contact


def test_open_pixel_with_a_bad_token_is_still_an_image(client: object) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    response = client.get("/t/o/not-a-token.gif")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
