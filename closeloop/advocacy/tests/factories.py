"""Objects for advocacy tests and the tenant-isolation walker."""

from __future__ import annotations

from closeloop.accounts.models import Organization
from closeloop.advocacy.models import ReviewSite, ReviewSiteKind
from closeloop.advocacy.services import review_site_create


def isolation_review_site(organization: Organization) -> ReviewSite:
    return review_site_create(
        organization=organization,
        name="Google",
        kind=ReviewSiteKind.GOOGLE,
        url="https://g.page/r/isolation/review",
    )
