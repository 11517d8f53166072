"""The demo's website widget: created once, and answering from the demo's own address."""

from __future__ import annotations

from django.test import Client

from closeloop.demo.widgets import ORIGINS, seed_widgets
from closeloop.distribution.models import Widget
from conftest import Personas


def test_demo_widget_is_created_once_and_serves_its_config(personas: Personas) -> None:
    widget = seed_widgets(personas.org)
    assert seed_widgets(personas.org) == widget
    assert Widget.objects.filter(organization=personas.org).count() == 1
    assert widget.allowed_origins == ORIGINS
    assert widget.placement == "slide_in"
    assert widget.touchpoint is not None and widget.touchpoint.key == "website-visit"
    assert widget.survey.name.startswith("Website feedback")
    response = Client(headers={"Origin": "http://localhost:8000"}).get(
        f"/widget/api/{widget.public_key}/config", {"lang": "ko"}
    )
    assert response.status_code == 200
    config = response.json()
    assert config["language"] == "ko" and config["survey"]["inline"] is True
