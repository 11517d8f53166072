"""Filters of the case pages: readable status and priority names for timeline values."""

from __future__ import annotations

from django import template

from closeloop.cases.choices import CasePriority, CaseStatus

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    return str(CaseStatus(value).label) if value in CaseStatus.values else value


@register.filter
def priority_label(value: str) -> str:
    return str(CasePriority(value).label) if value in CasePriority.values else value
