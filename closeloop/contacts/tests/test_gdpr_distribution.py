"""GDPR beyond the contact's answers: the export lists their invitations and business events;
erasure reaches events, invitations, the outbox, the demo mailbox and import reports, while
campaign counts and the event log stay true."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from django.core import mail
from django.utils import timezone

from closeloop.contacts.models import Contact, ContactImport
from closeloop.contacts.tests.factories import make_contact
from closeloop.distribution.campaigns_services import campaign_send_now
from closeloop.distribution.choices import InvitationStatus
from closeloop.distribution.events_services import event_ingest, trigger_rule_create
from closeloop.distribution.frequency import org_policy
from closeloop.distribution.models import Event, Invitation
from closeloop.distribution.sending import campaign_process
from closeloop.distribution.tests.campaigns_factories import make_campaign, nps_survey
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus, MailboxMessage
from closeloop.integrations.outbox import deliveries_flush, delivery_enqueue

if TYPE_CHECKING:
    from closeloop.api.testing import ApiClient
    from conftest import Personas

EMAIL = "minji.kim@example.com"


def _setup(personas: Personas) -> Contact:
    org = personas.org
    contact = make_contact(
        org, email=EMAIL, first_name="Minji", last_name="Kim", phone="+82 10 1111 2222",
        external_id="C-42", language="en",
    )  # fmt: skip
    survey = nps_survey(org)
    trigger_rule_create(
        organization=org, actor=None,
        data={"name": "Purchase", "event_type": "purchase", "survey": survey,
              "delay_minutes": 120},
    )  # fmt: skip
    # A purchase: an invitation waits two hours in the outbox; a second one is stopped.
    event_ingest(
        organization=org, contact={"external_id": "C-42", "email": EMAIL},
        event_type="purchase", event_id="order-C-42-1",
        properties={"note": "Minji Kim asked for oat milk", "email": EMAIL, "total": 42000,
                    "store": "Gangnam"},
    )  # fmt: skip
    event_ingest(organization=org, contact={"email": EMAIL}, event_type="purchase")
    # A campaign email that went out.
    policy = org_policy(org)
    policy.min_days_between = 0
    policy.save()
    campaign = make_campaign(org, survey, contacts=[contact])
    campaign_send_now(campaign=campaign)
    campaign_process(campaign_id=campaign.pk)
    assert deliveries_flush() == 1 and [m.to for m in mail.outbox] == [[EMAIL]]
    # An agent's reply waiting to go out, and unrelated outbox rows.
    delivery_enqueue(
        organization=org, kind=DeliveryKind.EMAIL, target="Minji.Kim@Example.com",
        payload={"subject": "About your order", "text": "Hi Minji"},
        idempotency_key="case-reply:1", dispatch=False,
        not_before=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip
    delivery_enqueue(
        organization=org, kind=DeliveryKind.EMAIL, target="someone@example.com",
        payload={"subject": "Hello", "text": "Hi"}, idempotency_key="other:1", dispatch=False,
    )  # fmt: skip
    delivery_enqueue(
        organization=org, kind=DeliveryKind.WEBHOOK, target="https://hooks.example.com/x",
        payload={"body": json.dumps({"type": "contact.unsubscribed",
                                     "data": {"email": EMAIL, "external_id": "C-42"}})},
        idempotency_key="webhook:1", dispatch=False,
        not_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
    )  # fmt: skip
    MailboxMessage.objects.create(
        organization=org, from_email="cafe@example.com", to=[f"Minji Kim <{EMAIL}>"],
        subject="How was Acme Coffee?", text_body="Hi Minji",
    )  # fmt: skip
    MailboxMessage.objects.create(
        organization=org, from_email="cafe@example.com", to=["jiminji.kim@example.com"],
        subject="Someone else", text_body="Hi",
    )  # fmt: skip
    ContactImport.objects.create(
        organization=org, file_name="crm.csv",
        preview_rows=[["email", "name"], [EMAIL, "Minji Kim"], ["a@example.com", "A"]],
        rejected_rows=[
            {"line": 3, "reason": f"{EMAIL} is already used by C-42", "values": [EMAIL, "C-42"]},
            {"line": 4, "reason": "bad email", "values": ["nope", "C-7"]},
        ],
    )  # fmt: skip
    return contact


def test_export_lists_invitations_and_events(personas: Personas, reader: ApiClient) -> None:
    contact = _setup(personas)
    data = reader.get(f"/contacts/{contact.pk}/export").json()
    invitations = data["invitations"]
    assert len(invitations) == 3
    statuses = sorted((i["channel"], i["status"], i["stopped_by"] or "") for i in invitations)
    assert statuses == [
        ("email", "queued", ""),
        ("email", "sent", ""),
        ("email", "suppressed", "min_days_between"),
    ]
    sent = next(i for i in invitations if i["status"] == "sent")
    assert sent["survey"]["name"] == "Quarterly NPS" and sent["sent_at"] is not None
    assert sent["campaign"] == "Quarterly NPS — Q4"
    stopped = next(i for i in invitations if i["status"] == "suppressed")
    assert "minimum days between" in stopped["stopped_by_label"]
    events = data["events"]
    assert [e["type"] for e in events] == ["purchase", "purchase"]
    assert events[0]["properties"]["note"] == "Minji Kim asked for oat milk"
    assert events[0]["event_id"] == "order-C-42-1" and events[0]["time"]
    assert {e["subject"] for e in data["emails"]} >= {"About your order"}


def test_erase_reaches_events_invitations_outbox_mailbox_and_imports(
    personas: Personas, writer: ApiClient, reader: ApiClient
) -> None:
    contact = _setup(personas)
    invitation_ids = set(Invitation.objects.filter(contact=contact).values_list("pk", flat=True))
    assert writer.request("DELETE", f"/contacts/{contact.pk}").status_code == 204

    # Events stay, detached, their keys intact and the contact's identity gone.
    first, second = Event.objects.order_by("created_at")
    assert first.contact_id is None and second.contact_id is None
    assert first.properties == {
        "note": "[removed] asked for oat milk", "email": "[removed]", "total": 42000,
        "store": "Gangnam",
    }  # fmt: skip
    assert first.event_id == f"[removed]:{first.pk}"

    # Invitations stay for the counts, without the contact; the one still queued is cancelled.
    kept = Invitation.objects.filter(pk__in=invitation_ids)
    assert kept.count() == 3 and not kept.filter(contact__isnull=False).exists()
    assert sorted(kept.values_list("status", flat=True)) == [
        InvitationStatus.CANCELLED, InvitationStatus.SENT, InvitationStatus.SUPPRESSED
    ]  # fmt: skip

    # The outbox: unsent emails cancelled, every email to them without address or content.
    webhook = Delivery.objects.get(idempotency_key="webhook:1")
    assert json.loads(webhook.payload["body"])["data"] == {
        "email": "[removed]", "external_id": "[removed]"
    }  # fmt: skip
    assert webhook.target == "https://hooks.example.com/x"
    to_her = Delivery.objects.filter(kind=DeliveryKind.EMAIL).exclude(idempotency_key="other:1")
    assert to_her.count() == 3
    assert {d.target for d in to_her} == {"[removed]"}
    assert all(d.payload == {"erased": True} for d in to_her)
    assert sorted((d.status, d.last_error) for d in to_her) == [
        (DeliveryStatus.CANCELLED, "contact erased"),
        (DeliveryStatus.CANCELLED, "contact erased"),
        (DeliveryStatus.SENT, ""),
    ]
    other = Delivery.objects.get(idempotency_key="other:1")
    assert other.target == "someone@example.com" and other.status == DeliveryStatus.PENDING
    dump = json.dumps(list(Delivery.objects.values("target", "payload", "last_error")))
    assert "minji" not in dump.lower() and "c-42" not in dump.lower()

    # The demo mailbox's copy is gone; another recipient's stays.
    assert list(MailboxMessage.objects.values_list("subject", flat=True)) == ["Someone else"]

    # Import reports keep their lines, not her values.
    run = ContactImport.objects.get()
    assert run.rejected_rows[0]["values"] == ["[removed]", "[removed]"]
    assert run.rejected_rows[0]["line"] == 3 and EMAIL not in run.rejected_rows[0]["reason"]
    assert run.rejected_rows[1]["values"] == ["nope", "C-7"]
    assert run.preview_rows[1] == ["[removed]", "[removed]"]
    assert run.preview_rows[2] == ["a@example.com", "A"]

    # Nothing is left to export; nothing waiting is sent.
    data = reader.get(f"/contacts/{contact.pk}/export").json()
    assert (data["invitations"], data["events"], data["emails"]) == ([], [], [])
    assert deliveries_flush(now=timezone.now() + dt.timedelta(days=1)) == 1  # "other:1"
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["someone@example.com"]
