"""QR codes per touchpoint: served as SVG and PNG, and they encode the touchpoint's link."""

from __future__ import annotations

from django.urls import reverse

from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.journey_selectors import touchpoint_link
from closeloop.distribution.journey_services import listening_post_add, touchpoint_create
from closeloop.distribution.qr import PNG_SCALE, QUIET_ZONE, qr_code
from closeloop.distribution.tests.journey_factories import make_survey, png_modules, svg_modules
from closeloop.surveys.selectors import survey_public_url
from conftest import Personas


def _setup(personas: Personas) -> tuple[str, str]:
    touchpoint = touchpoint_create(organization=personas.org, name="Parcel drop-off")
    survey = make_survey(personas.org, name="Parcel")
    listening_post_add(touchpoint=touchpoint, survey=survey, channel=ListeningChannel.QR)
    url = reverse(
        "journey:qr",
        kwargs={
            "org_slug": personas.org.slug,
            "touchpoint_id": touchpoint.pk,
            "survey_id": survey.pk,
        },
    )
    link = touchpoint_link(survey=survey, touchpoint=touchpoint, channel=ListeningChannel.QR)
    assert link == f"{survey_public_url(survey)}?tp=parcel-drop-off&ch=qr"
    return url, link


def _expected(link: str) -> list[list[bool]]:
    return [[bool(cell) for cell in row] for row in qr_code(link).matrix]


def test_png_decodes_to_the_touchpoint_link(personas: Personas) -> None:
    url, link = _setup(personas)
    response = personas.client_for(personas.viewer).get(url, {"format": "png", "download": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="qr-parcel-parcel-drop-off'
    )
    code = qr_code(link)
    assert code.error == "M"
    modules = png_modules(response.content, scale=PNG_SCALE, border=QUIET_ZONE)
    assert modules == _expected(link)
    # a code for any other link would differ
    assert modules != _expected(link.replace("parcel-drop-off", "purchase"))


def test_svg_decodes_to_the_touchpoint_link(personas: Personas) -> None:
    url, link = _setup(personas)
    response = personas.client_for(personas.viewer).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].startswith("inline;")
    svg = response.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<script" not in svg
    size = len(qr_code(link).matrix)
    assert svg_modules(svg, size=size) == _expected(link)


def test_unknown_format_is_404(personas: Personas) -> None:
    url, _link = _setup(personas)
    assert personas.client_for(personas.viewer).get(url, {"format": "gif"}).status_code == 404
