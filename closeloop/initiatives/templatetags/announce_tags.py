"""Template tags of announcements: whether a response came after its contact was told."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def response_told(response: Any) -> Any:
    """The announcement recipient row of the latest announcement the response's contact had
    received when answering, or None (`{% response_told response as told %}`)."""
    from closeloop.initiatives.announcements import response_told as told

    return told(response)
