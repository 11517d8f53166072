"""What every new organization starts with, contributed by each app.

An app registers a function from its AppConfig.ready(); organization_create calls them all in
its own transaction, so an organization never exists half set up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

OrgSetup = Callable[["Organization"], object]

_SETUPS: list[OrgSetup] = []


def register_org_setup(setup: OrgSetup) -> OrgSetup:
    """Add a function run for every new organization (default touchpoints, rules, SLAs...)."""
    if setup not in _SETUPS:
        _SETUPS.append(setup)
    return setup


def run_org_setups(organization: Organization) -> None:
    for setup in _SETUPS:
        setup(organization)
