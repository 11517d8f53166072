"""Theme proposals from clusters of comments no theme took; a person accepts, renames, merges
or rejects them."""

from __future__ import annotations

import pytest

from closeloop.core.errors import ConflictError
from closeloop.text.enrichment import comments_enrich, reenrich_run
from closeloop.text.importing import comment_import
from closeloop.text.models import Comment, Theme
from closeloop.text.proposals import themes_propose
from closeloop.text.selectors import theme_proposals
from closeloop.text.services import theme_accept, theme_merge, theme_reject, theme_rename
from closeloop.text.tests.factories import theme, theme_keys
from conftest import Personas

pytestmark = pytest.mark.django_db

CLUSTERS = {
    "parking": [
        "no parking spaces left near the store", "parking was full again",
        "zero parking anywhere nearby", "the parking lot is always full",
        "parking is a nightmare on saturdays", "had to circle for parking twenty minutes",
        "parking spaces ran out by nine", "parking garage closed again",
        "street parking is impossible here", "parking spots are too narrow",
    ],
    "dog": [
        "dogs are not allowed inside sadly", "my dog loved the terrace",
        "the dog water bowl at the door is sweet", "saw three dogs on the terrace",
        "the dog treats at the counter are cute", "dogs barking on the terrace all morning",
        "the dog corner is lovely", "two dogs growling near the door",
        "dog hair all over the bench", "the resident dog is adorable",
    ],
    "music": [
        "the music blares constantly", "music volume hurts my ears",
        "turn the music down please", "music so loud we could not talk",
        "the music playlist is the same every day", "loud music all evening",
        "music is blasting at lunch", "background music too loud for a cafe",
        "music too loud near the counter", "the music speaker buzzes loudly",
    ],
}  # fmt: skip


def _seed(personas: Personas) -> None:
    lines = ["text,language"] + [f"{t},en" for texts in CLUSTERS.values() for t in texts]
    result = comment_import(organization=personas.org, data="\n".join(lines))
    comments_enrich(comment_ids=[c.pk for c in result.created])
    # The default themes leave these topics alone (a stray match or two at most).
    assert Comment.objects.filter(theme_links__isnull=False).count() <= 3


def test_clusters_of_unassigned_comments_become_proposals_with_examples(
    personas: Personas,
) -> None:
    _seed(personas)
    proposals = themes_propose(organization=personas.org)

    assert len(proposals) == 3
    by_term = {p.keywords["en"][0]: p for p in proposals}
    assert set(by_term) == {"parking", "dog", "music"}
    for term, proposal in by_term.items():
        assert proposal.status == "proposed"
        assert 5 <= proposal.proposal["size"] <= 10 and proposal.proposal["language"] == "en"
        assert 3 <= len(proposal.examples["en"]) <= 5
        assert all(example in CLUSTERS[term] for example in proposal.examples["en"])
        assert term in proposal.name_in("en")
    assert list(theme_proposals(personas.org)) != []


def test_accepting_renaming_merging_and_rejecting_proposals(personas: Personas) -> None:
    _seed(personas)
    proposals = {p.keywords["en"][0]: p for p in themes_propose(organization=personas.org)}

    parking = theme_accept(
        theme=proposals["parking"], names={"en": "Parking", "ko": "주차"}, actor=personas.admin
    )
    assert parking.status == "active" and parking.name_in("ko") == "주차"
    reenrich_run(organization=personas.org)
    in_parking = Comment.objects.filter(theme_links__theme=parking).count()
    assert in_parking == 10

    dogs = theme_rename(theme=proposals["dog"], names={"en": "Dogs"}, actor=personas.admin)
    assert dogs.name_in("en") == "Dogs" and dogs.status == "proposed"
    merged = theme_merge(theme=dogs, into=theme(personas.org, "staff"), actor=personas.admin)
    assert merged.status == "merged" and merged.merged_into == theme(personas.org, "staff")
    assert "dog" in theme(personas.org, "staff").keywords["en"]
    reenrich_run(organization=personas.org)
    sample = Comment.objects.get(text="the resident dog is adorable")
    assert "staff" in theme_keys(sample)

    music = theme_reject(theme=proposals["music"], actor=personas.admin)
    assert music.status == "rejected"
    with pytest.raises(ConflictError):
        theme_merge(theme=music, into=parking, actor=personas.admin)
    # Rejected terms are not proposed again.
    again = themes_propose(organization=personas.org)
    assert all(p.keywords["en"][0] != "music" for p in again)
    assert Theme.objects.filter(organization=personas.org, key__startswith="proposed").count() >= 3
