"""Long work from the command line: a contacts import and a campaign send show their progress,
whether a worker runs the job or the command does it itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from closeloop import cli
from closeloop.contacts.models import Contact
from closeloop.distribution.models import Campaign, Invitation
from closeloop.distribution.tests.campaigns_factories import customer, make_campaign, nps_survey
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)

CSV = """email,first_name,language,city
minji@example.com,Minji,ko,Seoul
somchai@example.com,Somchai,th,Bangkok
not-an-email,Broken,en,Nowhere
emma@example.com,Emma,en,London
"""


def test_contacts_import_shows_progress_and_rejected_lines(
    personas: Personas, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(CSV, encoding="utf-8")

    code = cli.main(["contacts", "import", str(source), "--org", personas.org.slug])

    out = capsys.readouterr().out
    assert code == 0
    assert "No worker is running: doing the work here." in out
    assert "4/4 (100%)" in out
    assert "created 3, updated 0, rejected 1" in out
    assert "line 4:" in out  # the header is line 1
    emails = set(Contact.objects.filter(organization=personas.org).values_list("email", flat=True))
    assert emails >= {"minji@example.com", "somchai@example.com", "emma@example.com"}


def test_contacts_import_refuses_an_unknown_column(
    personas: Personas, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(CSV, encoding="utf-8")
    code = cli.main(
        ["contacts", "import", str(source), "--org", personas.org.slug, "--map", "Mail=email"]
    )
    assert code == 2
    assert "use COLUMN=FIELD" in capsys.readouterr().err


def test_campaign_send_follows_progress_to_the_end(
    personas: Personas, capsys: pytest.CaptureFixture[str]
) -> None:
    survey = nps_survey(personas.org)
    people = [customer(personas.org, f"guest{i}@example.com", f"Guest {i}", "en") for i in range(3)]
    campaign = make_campaign(personas.org, survey, contacts=people)

    assert cli.main(["campaign", "send", str(campaign.pk)]) == 0

    out = capsys.readouterr().out
    assert "3/3 (100%)" in out
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
    assert Invitation.objects.filter(campaign=campaign).count() == 3

    assert cli.main(["campaign", "status", str(campaign.pk)]) == 0
    assert "3/3" in capsys.readouterr().out


def test_campaign_commands_name_a_bad_id(capsys: pytest.CaptureFixture[str], db: None) -> None:
    assert cli.main(["campaign", "status", "not-a-uuid"]) == 1
    assert "no campaign" in capsys.readouterr().err
