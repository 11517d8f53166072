"""Staff side of the idea portal: statuses notify each voter once in their language, merging
keeps votes without duplicates, moderation, permissions, and another organization's 404."""

from __future__ import annotations

import pytest

from closeloop.initiatives.ideas import services
from closeloop.initiatives.models import Idea, IdeaComment, IdeaVote
from closeloop.initiatives.tests.ideas_helpers import emails_to, open_portal, verified
from closeloop.integrations.models import Delivery
from conftest import Personas

pytestmark = pytest.mark.django_db


def _idea_with_voters(personas: Personas) -> Idea:
    org = personas.org
    open_portal(org)
    author = verified(org, "author@example.kr", "Min", language="ko")
    idea = services.idea_propose(
        portal=services.portal_get(organization=org), visitor=author, title="Oat milk"
    )
    for email, lang in (
        ("en@example.com", "en"),
        ("th@example.co.th", "th"),
        ("author@example.kr", "ko"),
    ):
        services.idea_vote(idea=idea, visitor=verified(org, email, language=lang))
    return idea


def test_status_change_notifies_each_voter_once_in_their_language(personas: Personas) -> None:
    idea = _idea_with_voters(personas)
    client = personas.client_for(personas.agent)  # WORK_CASES may set statuses
    url = f"/o/{personas.org.slug}/ideas/{idea.pk}/status/"
    response = client.post(url, {"status": "planned", "reply": "Coming in spring."})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.status == "planned" and idea.public_reply == "Coming in spring."
    change = idea.status_changes.get(to_status="planned")
    assert change.notified == 3  # author voted too: once
    [en] = emails_to("en@example.com")
    [ko] = emails_to("author@example.kr")
    [th] = emails_to("th@example.co.th")
    assert en.payload["headers"]["Content-Language"] == "en"
    assert "Planned" in en.payload["subject"] and "Coming in spring." in en.payload["text"]
    assert f"/ideas/{personas.org.slug}/{idea.number}/?lang=en" in en.payload["text"]
    assert ko.payload["headers"]["Content-Language"] == "ko"
    assert th.payload["headers"]["Content-Language"] == "th"
    assert "List-Unsubscribe" in en.payload["headers"]
    # Shipping later sends one more each.
    client.post(url, {"status": "shipped", "reply": "Oat milk is here."})
    assert len(emails_to("en@example.com")) == 2
    assert Delivery.objects.filter(target="author@example.kr").count() == 2


def test_voter_who_turned_updates_off_is_not_emailed(personas: Personas) -> None:
    idea = _idea_with_voters(personas)
    visitor = verified(personas.org, "en@example.com")
    services.visitor_updates_off(visitor=visitor)
    services.idea_transition(idea=idea, to_status="under_review")
    assert not emails_to("en@example.com")
    assert emails_to("th@example.co.th")


def test_merge_keeps_votes_without_duplicates(personas: Personas) -> None:
    org = personas.org
    open_portal(org)
    keep = services.idea_create(organization=org, title="Oat milk")
    dup = services.idea_create(organization=org, title="Plant milk please")
    both = verified(org, "both@example.com")
    only_dup = verified(org, "dup@example.com")
    services.idea_vote(idea=keep, visitor=both)
    services.idea_vote(idea=dup, visitor=both)
    services.idea_vote(idea=dup, visitor=only_dup)
    services.comment_add(idea=dup, visitor=only_dup, body="Soy too")
    client = personas.client_for(personas.analyst)  # EDIT_SURVEYS may merge
    response = client.post(f"/o/{org.slug}/ideas/{dup.pk}/merge/", {"into": keep.number})
    assert response.status_code == 302
    keep.refresh_from_db()
    dup.refresh_from_db()
    assert keep.vote_count == 2 and IdeaVote.objects.filter(idea=keep).count() == 2
    assert dup.status == "merged" and dup.merged_into == keep and dup.vote_count == 0
    assert IdeaComment.objects.filter(idea=keep, body="Soy too").exists()
    # The duplicate's voters heard where their vote went.
    assert any("merged" in d.payload["subject"] for d in emails_to("dup@example.com"))
    # The portal redirects the merged idea to the one kept, saying so.
    from django.test import Client

    page = Client().get(f"/ideas/{org.slug}/{dup.number}/", follow=True)
    assert page.redirect_chain and f"/ideas/{org.slug}/{keep.number}/" in page.redirect_chain[-1][0]
    assert b"was merged into this one" in page.content


def test_moderation_queue_approve_and_block(personas: Personas) -> None:
    org = personas.org
    open_portal(org, moderate_ideas=True)
    author = verified(org, "spam@example.com")
    idea = services.idea_propose(
        portal=services.portal_get(organization=org), visitor=author, title="Pending one"
    )
    client = personas.client_for(personas.agent)
    queue = client.get(f"/o/{org.slug}/ideas/moderation/")
    assert b"Pending one" in queue.content
    client.post(f"/o/{org.slug}/ideas/{idea.pk}/moderate/", {"decision": "approve"})
    idea.refresh_from_db()
    assert idea.status == "open"
    client.post(f"/o/{org.slug}/ideas/visitors/{author.pk}/block/", {"block": "1"})
    author.refresh_from_db()
    assert author.blocked_at is not None
    with pytest.raises(services.PortalError):
        services.idea_propose(
            portal=services.portal_get(organization=org), visitor=author, title="More"
        )


def test_staff_list_filters_and_detail(personas: Personas) -> None:
    org = personas.org
    open_portal(org)
    a = services.idea_create(organization=org, title="Oat milk")
    services.idea_create(organization=org, title="Free wifi")
    services.idea_transition(idea=a, to_status="planned")
    client = personas.client_for(personas.viewer)
    page = client.get(f"/o/{org.slug}/ideas/?status=planned")
    assert b"Oat milk" in page.content and b"Free wifi" not in page.content
    assert b"Free wifi" in client.get(f"/o/{org.slug}/ideas/?q=wifi").content
    detail = client.get(f"/o/{org.slug}/ideas/{a.pk}/")
    assert detail.status_code == 200 and b"Create initiative from this idea" in detail.content
    assert f"/o/{org.slug}/initiatives/new/?idea={a.pk}".encode() in detail.content


def test_viewer_cannot_moderate_and_other_org_is_404(personas: Personas) -> None:
    org = personas.org
    open_portal(org)
    idea = services.idea_create(organization=org, title="Oat milk")
    viewer = personas.client_for(personas.viewer)
    assert (
        viewer.post(f"/o/{org.slug}/ideas/{idea.pk}/status/", {"status": "planned"}).status_code
        == 403
    )
    assert viewer.post(f"/o/{org.slug}/ideas/settings/", {}).status_code == 403
    outsider = personas.client_for(personas.outsider)
    assert outsider.get(f"/o/{org.slug}/ideas/").status_code == 404
    assert outsider.get(f"/o/{org.slug}/ideas/{idea.pk}/").status_code == 404
    # The outsider's own org cannot reach this org's idea by id either.
    other_slug = personas.other_org.slug
    assert outsider.get(f"/o/{other_slug}/ideas/{idea.pk}/").status_code == 404
    assert (
        outsider.post(f"/o/{other_slug}/ideas/{idea.pk}/status/", {"status": "planned"}).status_code
        == 404
    )


def test_settings_page_saves_branding(personas: Personas) -> None:
    org = personas.org
    client = personas.client_for(personas.owner)
    response = client.post(f"/o/{org.slug}/ideas/settings/", {
        "enabled": "on", "visibility": "public", "default_language": "ko",
        "accent_color": "#aa3300", "logo_url": "https://cdn.example.com/logo.png",
        "moderate_ideas": "on", "ideas_per_day": 5, "votes_per_day": 50, "comments_per_day": 20,
        "title_ko": "아이디어", "title_en": "Ideas", "intro_en": "Tell us.",
    })  # fmt: skip
    assert response.status_code == 302
    portal = services.portal_get(organization=org)
    assert portal.enabled and portal.title == {"ko": "아이디어", "en": "Ideas"}
    page = client.get(f"/ideas/{org.slug}/")
    assert "--accent: #aa3300" in page.content.decode()
    assert "https://cdn.example.com" in page["Content-Security-Policy"]
    bad = client.post(
        f"/o/{org.slug}/ideas/settings/",
        {
            "accent_color": "red",
            "default_language": "en",
            "visibility": "public",
            "ideas_per_day": 1,
            "votes_per_day": 1,
            "comments_per_day": 1,
        },
    )
    assert bad.status_code == 200 and b"six hex digits" in bad.content
