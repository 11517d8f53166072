"""Who hears about an initiative: through its themes' comments, its cases, its ideas and its
contacts, once each, with what they said and the language to write in."""

from __future__ import annotations

from django.utils import timezone

from closeloop.cases.tests.factories import make_case
from closeloop.initiatives.models import Idea, IdeaVote, PortalVisitor
from closeloop.initiatives.recipients import initiative_recipients
from closeloop.initiatives.tests.announce_factories import make_initiative, make_theme, person, say
from conftest import Personas


def test_recipients_through_every_link_once_with_reasons(personas: Personas) -> None:
    org = personas.org
    initiative = make_initiative(org)
    theme = make_theme(org)
    initiative.themes.add(theme)
    hana = person(org, "hana@example.kr", "Hana", "ko")
    tom = person(org, "tom@example.com", "Tom", "en")
    lee = person(org, "lee@example.com", "Lee")
    say(org, hana, theme, "원두가 오래됐어요", days_ago=20)
    say(org, hana, theme, "원두 배송이 늦어요", days_ago=5)
    say(org, tom, theme, "The beans were stale.", days_ago=3)
    say(org, None, theme, "Anonymous words about beans")
    other_theme = make_theme(org, "parking")
    say(org, lee, other_theme, "No parking")  # not linked
    case = make_case(org, title="Stale beans again", contact=hana)
    initiative.cases.add(case)
    initiative.contacts.add(lee, tom)

    recipients = {r.email: r for r in initiative_recipients(initiative)}
    assert set(recipients) == {"hana@example.kr", "tom@example.com", "lee@example.com"}
    hana_r = recipients["hana@example.kr"]
    assert hana_r.language == "ko"
    # Newest first: the case (just now), then the newest comment.
    assert [r["text"] for r in hana_r.reasons] == [
        "Stale beans again",
        "원두 배송이 늦어요",
        "원두가 오래됐어요",
    ]
    assert set(hana_r.kinds) == {"comment", "case"}
    assert recipients["tom@example.com"].what_they_said == "The beans were stale."
    assert set(recipients["tom@example.com"].kinds) == {"comment", "contact"}
    lee_r = recipients["lee@example.com"]
    assert lee_r.kinds == ["contact"] and lee_r.what_they_said == ""


def test_at_most_three_reasons(personas: Personas) -> None:
    org = personas.org
    initiative = make_initiative(org)
    theme = make_theme(org)
    initiative.themes.add(theme)
    min_ = person(org, "min@example.kr", "Min", "ko")
    for day in range(5):
        say(org, min_, theme, f"comment {day}", days_ago=day + 1)
    [recipient] = initiative_recipients(initiative)
    assert [r["text"] for r in recipient.reasons] == ["comment 0", "comment 1", "comment 2"]


def test_language_contact_then_what_they_wrote_then_org_default(personas: Personas) -> None:
    org = personas.org  # default language en
    initiative = make_initiative(org)
    theme = make_theme(org)
    initiative.themes.add(theme)
    own = person(org, "own@example.com", "Own", "th")
    wrote = person(org, "wrote@example.com", "Wrote")
    silent = person(org, "silent@example.com", "Silent")
    say(org, own, theme, "ช้ามาก", language="ko")
    say(org, wrote, theme, "배송이 늦어요", language="ko-KR")
    initiative.contacts.add(silent)
    languages = {r.email: r.language for r in initiative_recipients(initiative)}
    assert languages == {
        "own@example.com": "th",
        "wrote@example.com": "ko",
        "silent@example.com": "en",
    }


def test_idea_authors_and_voters(personas: Personas) -> None:
    org = personas.org
    initiative = make_initiative(org)
    now = timezone.now()
    known = person(org, "known@example.com", "Known", "en")
    author = PortalVisitor.objects.create(
        organization=org, email="author@example.com", name="Ara Park", language="ko",
        contact=known, verified_at=now,
    )  # fmt: skip
    voter = PortalVisitor.objects.create(
        organization=org, email="voter@example.com", name="Vee", language="th", verified_at=now
    )
    unverified = PortalVisitor.objects.create(organization=org, email="nope@example.com")
    idea = Idea.objects.create(
        organization=org, number=1, title="Fresher beans", initiative=initiative, author=author
    )
    IdeaVote.objects.create(idea=idea, visitor=voter)
    IdeaVote.objects.create(idea=idea, visitor=unverified)
    IdeaVote.objects.create(idea=idea, visitor=author)

    recipients = {r.email: r for r in initiative_recipients(initiative)}
    assert set(recipients) == {"known@example.com", "voter@example.com"}
    assert recipients["known@example.com"].contact == known
    assert set(recipients["known@example.com"].kinds) == {"idea", "vote"}
    email_only = recipients["voter@example.com"]
    assert email_only.contact is None and email_only.language == "th"
    assert email_only.first_name == "Vee" and email_only.what_they_said == "Fresher beans"


def test_other_organizations_people_never_appear(personas: Personas) -> None:
    org, other = personas.org, personas.other_org
    initiative = make_initiative(org)
    theme = make_theme(org)
    initiative.themes.add(theme)
    outsider = person(other, "out@example.com", "Out", "en")
    say(org, outsider, theme, "cross-org comment")  # a bad row must not leak a contact
    assert initiative_recipients(initiative) == []
