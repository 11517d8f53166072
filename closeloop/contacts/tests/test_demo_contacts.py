"""The demo's contacts step: realistic contacts, two segments, one import; idempotent."""

from __future__ import annotations

from closeloop.accounts.models import Organization
from closeloop.contacts.models import AttributeDefinition, Contact, ContactImport, Segment
from closeloop.contacts.selectors import segment_contacts
from closeloop.demo.seed import seed_demo


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Contact, Segment, ContactImport, AttributeDefinition)
    )


def test_demo_contacts(db: None) -> None:
    seed_demo()
    first = _counts()
    seed_demo()
    assert _counts() == first

    org = Organization.objects.get(slug="demo")
    contacts = Contact.objects.filter(organization=org)
    assert 55 <= contacts.count() <= 70
    assert set(contacts.values_list("language", flat=True)) == {"ko", "th", "en"}
    assert contacts.filter(kind="employee").count() == 5
    # two from the contacts step, one a customer who unsubscribed before an announcement
    assert contacts.filter(unsubscribed_at__isnull=False).count() == 3
    minji = contacts.get(email="minji.kim@example.com")
    assert isinstance(minji.attributes["lifetime_value"], int | float)
    assert isinstance(minji.attributes["newsletter"], bool)
    vip = Segment.objects.get(organization=org, name="VIP customers")
    korean = Segment.objects.get(organization=org, name="Korean-speaking")
    assert 0 < segment_contacts(segment=vip).count() < contacts.count()
    assert segment_contacts(segment=korean).count() >= 25
    done = ContactImport.objects.get(organization=org)
    assert (done.status, done.created, done.updated, done.rejected) == ("done", 2, 1, 2)
    assert [row["line"] for row in done.rejected_rows] == [4, 5]
