"""The exports page: start an export from the form, watch its progress (htmx polls every 2s, a
refresh does without JS), download it; only members with the export permission."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from closeloop.analytics.models import Export
from closeloop.analytics.tests.exports_factories import (
    KOREAN_NPS,
    answer,
    make_survey,
    touchpoint,
)
from closeloop.core.worker import run_ready_tasks

if TYPE_CHECKING:
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _url(personas: Personas, suffix: str = "") -> str:
    return f"/o/{personas.org.slug}/analytics/exports/{suffix}"


def test_analyst_exports_from_the_page_and_downloads(personas: Personas) -> None:
    survey = make_survey(personas.org)
    spot = touchpoint(personas.org)
    answer(survey, {"nps": 9, "comment": "สวัสดี"}, at=spot, language="th")
    answer(survey, {"nps": 2}, language="ko")
    client = personas.client_for(personas.analyst)

    page = client.get(_url(personas), {"survey": str(survey.pk)})
    assert page.status_code == 200
    assert f'<option value="{survey.pk}" selected>' in page.content.decode()

    started = client.post(
        _url(personas),
        {"survey": str(survey.pk), "format": "csv", "status": "complete",
         "touchpoint": str(spot.pk), "language": "th"},
    )  # fmt: skip
    assert started.status_code == 302
    export = Export.objects.get(organization=personas.org)
    assert export.requested_by == personas.analyst
    assert export.filters == {"status": "complete", "touchpoint": str(spot.pk), "language": "th"}

    waiting = client.get(started["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    assert '<meta http-equiv="refresh" content="5">' in waiting  # without JavaScript
    assert spot.name in waiting  # the filter, by name

    run_ready_tasks()

    row = client.get(_url(personas, f"{export.pk}/"), headers={"HX-Request": "true"})
    text = row.content.decode()
    assert text.startswith("<tr") and "hx-trigger" not in text  # finished: polling stops
    assert "Download" in text
    done_page = client.get(_url(personas)).content.decode()
    assert 'http-equiv="refresh"' not in done_page
    download = client.get(_url(personas, f"{export.pk}/download/"))
    assert download.status_code == 200
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r[KOREAN_NPS] for r in rows] == ["9"]
    assert rows[0]["의견"] == "สวัสดี"
    detail = client.get(_url(personas, f"{export.pk}/"))
    assert detail.status_code == 200 and survey.name in detail.content.decode()


def test_form_errors_are_shown_beside_the_field(personas: Personas) -> None:
    survey = make_survey(personas.org)
    client = personas.client_for(personas.admin)
    response = client.post(
        _url(personas),
        {"survey": str(survey.pk), "format": "sav", "status": "complete",
         "date_from": "2024-05-02", "date_to": "2024-05-01"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["date_to"] == ["The end date is before the start date."]
    response = client.post(
        _url(personas),
        {"survey": str(survey.pk), "format": "csv", "status": "complete", "language": "한국어"},
    )
    assert response.status_code == 400
    assert "language" in response.context["form"].errors
    assert not Export.objects.exists()


def test_only_members_who_may_export_see_exports(personas: Personas) -> None:
    survey = make_survey(personas.org)
    answer(survey)
    owner = personas.client_for(personas.owner)
    owner.post(_url(personas), {"survey": str(survey.pk), "format": "csv", "status": "all"})
    run_ready_tasks()
    export = Export.objects.get()
    download = _url(personas, f"{export.pk}/download/")
    assert owner.get(download).status_code == 200

    for user in (personas.viewer, personas.agent):
        client = personas.client_for(user)
        assert client.get(_url(personas)).status_code == 403
        assert client.get(download).status_code == 403
    assert personas.client_for(personas.outsider).get(download).status_code == 404
    outsider_org = f"/o/{personas.other_org.slug}/analytics/exports/{export.pk}/download/"
    assert personas.client_for(personas.outsider).get(outsider_org).status_code == 404


def test_responses_page_links_to_the_exports_of_its_survey(personas: Personas) -> None:
    survey = make_survey(personas.org)
    url = f"/o/{personas.org.slug}/responses/"
    page = personas.client_for(personas.analyst).get(url, {"survey": str(survey.pk)})
    assert f'href="{_url(personas)}?survey={survey.pk}"' in page.content.decode()
    viewer_page = personas.client_for(personas.viewer).get(url).content.decode()
    assert 'data-testid="export-link"' not in viewer_page


def test_expired_export_cannot_be_downloaded(personas: Personas) -> None:
    from django.utils import timezone

    from closeloop.analytics.exports.services import exports_expire

    survey = make_survey(personas.org)
    answer(survey)
    client = personas.client_for(personas.analyst)
    client.post(_url(personas), {"survey": str(survey.pk), "format": "xlsx", "status": "complete"})
    run_ready_tasks()
    export = Export.objects.get()
    assert exports_expire(now=timezone.now()) == 0  # not yet
    assert export.expires_at is not None
    assert exports_expire(now=export.expires_at) == 1
    assert client.get(_url(personas, f"{export.pk}/download/")).status_code == 404
    page = client.get(_url(personas)).content.decode()
    assert "Expired" in page and 'data-testid="export-download"' not in page


def test_the_menu_lists_exports_under_understand_for_who_may_export(personas: Personas) -> None:
    home = f"/o/{personas.org.slug}/"
    link = f'<li><a href="{_url(personas)}">Exports</a></li>'
    for user in (personas.owner, personas.admin, personas.analyst):
        html = personas.client_for(user).get(home).content.decode()
        nav = html.split('id="mainnav"', 1)[1].split("</nav>", 1)[0]
        understand = nav.split("Understand", 1)[1].split('class="nav-section"', 1)[0]
        assert link in understand, user
    for user in (personas.agent, personas.viewer):
        assert link not in personas.client_for(user).get(home).content.decode()
    page = personas.client_for(personas.analyst).get(_url(personas)).content.decode()
    assert f'<a href="{_url(personas)}" aria-current="page">Exports</a>' in page
