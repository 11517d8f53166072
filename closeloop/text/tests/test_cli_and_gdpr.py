"""`closeloop text reenrich` as an operator runs it, and a contact's comments under GDPR."""

from __future__ import annotations

import pytest

from closeloop import cli
from closeloop.contacts.services import contact_create, contact_erase, contact_export
from closeloop.responses.services import response_create_complete
from closeloop.text.enrichment import comments_enrich
from closeloop.text.models import Comment, TextModelVersion
from closeloop.text.services import comment_create
from closeloop.text.tests.factories import comment_survey
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_reenrich_creates_missing_comments_and_enriches_everything_with_progress(
    personas: Personas, capsys: pytest.CaptureFixture[str]
) -> None:
    survey = comment_survey(personas.org)
    # Stored without events (as a bulk history load does): no comment yet.
    response_create_complete(survey=survey, answers={"nps": 3, "why": "배송이 너무 늦어요"})
    assert not Comment.objects.filter(organization=personas.org).exists()

    assert cli.main(["text", "reenrich", "--org", personas.org.slug]) == 0

    out = capsys.readouterr().out
    assert f"Enriching the comments of {personas.org.slug} again" in out
    assert "1 comments created from stored open answers" in out
    assert "1/1 comments (100%)" in out
    comment = Comment.objects.get(organization=personas.org)
    assert comment.language == "ko" and comment.sentiment == "negative"
    version = TextModelVersion.objects.get(organization=personas.org)
    assert comment.model_version == version.number == 2
    assert version.reenrich_done == version.reenrich_total == 1
    assert version.reenrich_finished_at is not None


def test_reenrich_names_an_unknown_organization(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["text", "reenrich", "--org", "nope"]) == 1
    assert "no organization with the slug 'nope'" in capsys.readouterr().err


def test_an_erased_contact_leaves_anonymous_comments(personas: Personas) -> None:
    contact = contact_create(
        organization=personas.org, actor=None,
        data={"email": "minji@example.com", "first_name": "Minji", "last_name": "Kim"},
    )  # fmt: skip
    comment = comment_create(
        organization=personas.org, text="Minji Kim here: the courier was rude",
        contact_id=contact.pk, source="ticket",
    )  # fmt: skip
    comments_enrich(comment_ids=[comment.pk])
    exported = contact_export(contact=contact)["comments"]
    assert exported[0]["text"] == "Minji Kim here: the courier was rude"

    contact_erase(contact=contact, actor=personas.owner)

    comment.refresh_from_db()
    assert comment.contact_id is None
    assert comment.text == "[removed] here: the courier was rude"
    assert "minji" not in comment.tokens
