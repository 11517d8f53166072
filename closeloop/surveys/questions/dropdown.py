"""Dropdown: pick one option from a list (same answers as single choice)."""

from __future__ import annotations

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.single_choice import OneOfType
from closeloop.surveys.schema import DropdownQuestion


@register
class DropdownType(OneOfType[DropdownQuestion]):
    """A <select> list; useful for long option lists."""

    type_name = "dropdown"
