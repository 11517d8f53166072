"""Background jobs of cases: the SLA breach check, every minute."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from closeloop.cases.escalation import sla_breaches_check
from closeloop.core.periodic import periodic


@periodic(every=timedelta(minutes=1), name="cases.sla_breaches")
@task
def check_sla_breaches() -> int:
    """Mark cases past their due times and escalate them."""
    return sla_breaches_check()
