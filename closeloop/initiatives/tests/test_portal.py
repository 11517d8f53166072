"""The public idea portal through its pages: propose, confirm, vote, comment, limits,
honeypot, members-only, widget identity, language, closed portal."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from django.test import Client

from closeloop.initiatives.ideas import limits, services
from closeloop.initiatives.models import Idea, IdeaComment, IdeaVote, PortalVisitor
from closeloop.initiatives.tests.ideas_helpers import (
    confirm_link,
    emails_to,
    open_portal,
    signed_in_client,
    verified,
)
from conftest import Personas

pytestmark = pytest.mark.django_db


def _propose(client: Client, slug: str, **data: Any) -> Any:
    return client.post(f"/ideas/{slug}/new/?lang=en", data)


def test_closed_portal_is_404(personas: Personas) -> None:
    portal = open_portal(personas.org, enabled=False)
    assert Client().get(f"/ideas/{personas.org.slug}/").status_code == 404
    services.portal_update(portal=portal, actor=None, enabled=True)
    assert Client().get(f"/ideas/{personas.org.slug}/").status_code == 200
    assert Client().get("/ideas/no-such-org/").status_code == 404


def test_propose_confirm_then_visible(personas: Personas) -> None:
    org = personas.org
    open_portal(org, moderate_ideas=False)
    client = Client()
    response = _propose(
        client, org.slug, title="Oat milk option", body="Please add oat milk.",
        name="Mina", email="mina@example.kr",
    )  # fmt: skip
    assert response.status_code == 200
    assert b"Check your email" in response.content
    assert not Idea.objects.filter(organization=org).exists()  # nothing before confirming
    [mail] = emails_to("mina@example.kr")
    assert "Oat milk option" in mail.payload["text"]
    link = confirm_link("mina@example.kr")
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm" in page.content
    done = client.post(link)
    assert done.status_code == 302
    idea = Idea.objects.get(organization=org)
    assert idea.status == "open" and idea.author is not None and idea.author.verified_at
    assert f"/ideas/{org.slug}/{idea.number}/" in done["Location"]
    assert client.get(f"/ideas/{org.slug}/").content.count(b">Oat milk option</a>") == 1
    # The link works once.
    assert client.post(link).status_code == 404
    # The session cookie covers the next proposal: no new email.
    again = _propose(client, org.slug, title="Decaf beans")
    assert again.status_code == 302
    assert Idea.objects.filter(organization=org).count() == 2
    assert len(emails_to("mina@example.kr")) == 1


def test_moderated_idea_is_shown_only_to_its_author(personas: Personas) -> None:
    org = personas.org
    open_portal(org, moderate_ideas=True)
    author = verified(org, "jun@example.kr", "Jun")
    client = signed_in_client(org, author)
    response = _propose(client, org.slug, title="Loyalty stamps in the app")
    idea = Idea.objects.get(organization=org)
    assert idea.status == "pending"
    page = client.get(response["Location"])
    assert b"awaiting review" in page.content.lower()
    assert client.get(f"/ideas/{org.slug}/").content.count(b"Loyalty stamps") == 1  # own list
    assert Client().get(f"/ideas/{org.slug}/{idea.number}/").status_code == 404
    assert b"Loyalty stamps" not in Client().get(f"/ideas/{org.slug}/").content


def test_vote_once_per_person_and_unvote(personas: Personas) -> None:
    org = personas.org
    open_portal(org)
    idea = services.idea_create(organization=org, title="Bigger cups")
    # A new visitor: the vote waits for the confirmation.
    client = Client()
    ask = client.post(f"/ideas/{org.slug}/{idea.number}/vote/")
    assert ask.status_code == 200 and b"Email me the link" in ask.content
    client.post(
        f"/ideas/{org.slug}/{idea.number}/vote/", {"name": "Hana", "email": "hana@example.kr"}
    )
    idea.refresh_from_db()
    assert idea.vote_count == 0
    client.post(confirm_link("hana@example.kr"))
    idea.refresh_from_db()
    assert idea.vote_count == 1
    # Confirming a second link for the same vote does not count twice.
    client2 = Client()
    client2.post(
        f"/ideas/{org.slug}/{idea.number}/vote/", {"name": "Hana", "email": "HANA@example.kr"}
    )
    client2.post(confirm_link("hana@example.kr"))
    idea.refresh_from_db()
    assert idea.vote_count == 1 and IdeaVote.objects.filter(idea=idea).count() == 1
    # Voting again takes the vote back (the latest confirmation holds the session).
    client2.post(f"/ideas/{org.slug}/{idea.number}/vote/")
    idea.refresh_from_db()
    assert idea.vote_count == 0 and not IdeaVote.objects.filter(idea=idea).exists()


def test_comment_moderated(personas: Personas) -> None:
    org = personas.org
    open_portal(org, moderate_comments=True)
    idea = services.idea_create(organization=org, title="Bigger cups")
    client = signed_in_client(org, verified(org, "a@example.com", "Ann"))
    client.post(f"/ideas/{org.slug}/{idea.number}/comment/", {"body": "Yes please!"})
    row = IdeaComment.objects.get(idea=idea)
    assert row.approved is False
    assert b"Yes please!" in client.get(f"/ideas/{org.slug}/{idea.number}/").content  # own
    assert b"Yes please!" not in Client().get(f"/ideas/{org.slug}/{idea.number}/").content


def test_daily_limit_message(personas: Personas) -> None:
    org = personas.org
    open_portal(org, ideas_per_day=2)
    client = signed_in_client(org, verified(org, "busy@example.com"))
    for n in range(2):
        assert _propose(client, org.slug, title=f"Idea {n}").status_code == 302
    third = _propose(client, org.slug, title="Idea 3")
    assert third.status_code == 429
    assert b"as many ideas as allowed today" in third.content
    assert b"try again in" in third.content and int(third["Retry-After"]) > 3600


def test_ip_rate_limit_gives_429_with_retry(personas: Personas, monkeypatch: Any) -> None:
    org = personas.org
    open_portal(org)
    monkeypatch.setattr(limits, "IP_WRITES_PER_WINDOW", 3)
    client = signed_in_client(org, verified(org, "fast@example.com"))
    idea = services.idea_create(organization=org, title="Bigger cups")
    codes = [client.post(f"/ideas/{org.slug}/{idea.number}/vote/").status_code for _ in range(4)]
    assert codes[:3] == [302, 302, 302] and codes[3] == 429
    last = client.post(f"/ideas/{org.slug}/{idea.number}/vote/")
    assert b"Too many requests from your network" in last.content
    assert int(last["Retry-After"]) >= 1


def test_honeypot_sends_nothing(personas: Personas) -> None:
    org = personas.org
    open_portal(org)
    response = _propose(
        Client(), org.slug, title="Cheap pills", name="Bot", email="bot@example.com",
        website="http://spam.example",
    )  # fmt: skip
    assert response.status_code == 200
    assert not emails_to("bot@example.com")
    assert not PortalVisitor.objects.filter(email="bot@example.com").exists()


def test_members_only_refuses_unknown_email(personas: Personas) -> None:
    from closeloop.distribution.tests.campaigns_factories import customer

    org = personas.org
    open_portal(org, visibility="members")
    customer(org, "member@example.kr", "Member", "ko")
    idea = services.idea_create(organization=org, title="Secret menu")
    anon = Client()
    page = anon.get(f"/ideas/{org.slug}/")
    assert b"Email me a sign-in link" in page.content and b"Secret menu" not in page.content
    assert anon.get(f"/ideas/{org.slug}/{idea.number}/").status_code == 200  # sign-in page
    assert b"Secret menu" not in anon.get(f"/ideas/{org.slug}/{idea.number}/").content
    # Unknown email: a neutral answer, no visitor, no email.
    anon.post(f"/ideas/{org.slug}/sign-in/", {"email": "stranger@example.com"})
    assert not emails_to("stranger@example.com")
    assert not PortalVisitor.objects.filter(email="stranger@example.com").exists()
    # A verified visitor who is not a contact still cannot read.
    outsider = signed_in_client(org, verified(org, "nobody@example.com"))
    assert b"Secret menu" not in outsider.get(f"/ideas/{org.slug}/").content
    # A customer signs in by email and reads.
    member = Client()
    member.post(f"/ideas/{org.slug}/sign-in/", {"email": "member@example.kr"})
    member.post(confirm_link("member@example.kr"))
    assert b"Secret menu" in member.get(f"/ideas/{org.slug}/").content


def test_widget_identity_verifies_without_email(personas: Personas) -> None:
    from closeloop.distribution.tests.widget_factories import make_widget

    org = personas.org
    open_portal(org)
    widget = make_widget(org)
    idea = services.idea_create(organization=org, title="Bigger cups")
    user_hash = hmac.new(widget.identity_secret.encode(), b"cust-42", hashlib.sha256).hexdigest()
    client = Client()
    query = (
        f"widget={widget.public_key}&uid=cust-42&email=kim%40example.kr&name=Kim"
        f"&user_hash={user_hash}"
    )
    response = client.get(f"/ideas/{org.slug}/?{query}")
    assert response.status_code == 302 and "user_hash" not in response["Location"]
    visitor = PortalVisitor.objects.get(organization=org, email="kim@example.kr")
    assert visitor.verified_at is not None
    client.post(f"/ideas/{org.slug}/{idea.number}/vote/")
    assert IdeaVote.objects.filter(idea=idea, visitor=visitor).exists()
    assert not emails_to("kim@example.kr")
    # A forged hash verifies nobody.
    forged = Client()
    forged.get(
        f"/ideas/{org.slug}/?widget={widget.public_key}&email=eve%40example.com"
        f"&user_hash={'0' * 64}"
    )
    assert not PortalVisitor.objects.filter(email="eve@example.com").exists()


def test_language_switcher_and_default(personas: Personas) -> None:
    org = personas.org
    open_portal(org, default_language="ko")
    page = Client().get(f"/ideas/{org.slug}/")
    assert (
        '<html lang="ko">' in page.content.decode() and "아크미 아이디어" in page.content.decode()
    )
    english = Client().get(f"/ideas/{org.slug}/?lang=en")
    assert (
        "Acme ideas" in english.content.decode() and "Propose an idea" in english.content.decode()
    )
    thai = Client().get(f"/ideas/{org.slug}/?lang=th")
    assert '<html lang="th">' in thai.content.decode()


def test_confirmation_expires(personas: Personas) -> None:
    import datetime as dt

    from django.utils import timezone

    org = personas.org
    open_portal(org)
    client = Client()
    _propose(client, org.slug, title="Late idea", name="Sol", email="sol@example.kr")
    link = confirm_link("sol@example.kr")
    PortalVisitor.objects.filter(email="sol@example.kr").update(
        confirm_sent_at=timezone.now() - dt.timedelta(hours=49)
    )
    assert client.post(link).status_code == 404
    assert not Idea.objects.filter(organization=org).exists()
