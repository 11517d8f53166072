"""Writes for the customer journey: touchpoints, their order, and the listening posts at each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.models import Activity
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.models import ListeningPost, Touchpoint

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.surveys.models import Survey

# The journey every organization starts with; names are data the org can rename, written once
# in the org's default language (like the default teams).
DEFAULT_TOUCHPOINTS = [
    ("website-visit", gettext_lazy("Website visit")),
    ("purchase", gettext_lazy("Purchase")),
    ("delivery", gettext_lazy("Delivery")),
    ("onboarding", gettext_lazy("Onboarding")),
    ("support-call", gettext_lazy("Support call")),
    ("renewal", gettext_lazy("Renewal")),
    ("cancellation", gettext_lazy("Cancellation")),
]
DEFAULTS_VERB = "journey.defaults_created"
NAME_MAX = 120
KEY_MAX = 60


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the touchpoint a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            _("Keep the name under %(n)d characters.") % {"n": NAME_MAX}, field="name"
        )
    return name


def _unique_key(organization: Organization, base: str) -> str:
    base = slugify(base)[: KEY_MAX - 4] or "touchpoint"
    key, n = base, 1
    while Touchpoint.objects.filter(organization=organization, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def _next_position(organization: Organization) -> int:
    top = Touchpoint.objects.filter(organization=organization).aggregate(m=Max("position"))["m"]
    return 0 if top is None else int(top) + 1


def touchpoints_ensure_defaults(*, organization: Organization) -> int:
    """Create the default journey once per organization (a later deletion is respected);
    returns how many touchpoints were created."""
    if Activity.objects.filter(organization=organization, verb=DEFAULTS_VERB).exists():
        return 0
    created = 0
    with transaction.atomic():
        # Lock the org row so two first visits at once do not both create the journey.
        type(organization).objects.select_for_update().filter(pk=organization.pk).first()
        if Activity.objects.filter(organization=organization, verb=DEFAULTS_VERB).exists():
            return 0
        position = _next_position(organization)
        with translation.override(organization.default_language or "en"):
            for key, label in DEFAULT_TOUCHPOINTS:
                if Touchpoint.objects.filter(organization=organization, key=key).exists():
                    continue
                Touchpoint.objects.create(
                    organization=organization, key=key, name=str(label), position=position
                )
                position += 1
                created += 1
        activity_record(organization=organization, verb=DEFAULTS_VERB, data={"created": created})
    return created


def touchpoint_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    key: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Touchpoint:
    """Add a touchpoint at the end of the journey; its key (used in links) is derived from the
    name unless given, and never changes afterwards."""
    name = _clean_name(name)
    if key:
        key = slugify(key)[:KEY_MAX]
        if not key:
            raise DomainError(_("Use letters, digits and hyphens in the key."), field="key")
        if Touchpoint.objects.filter(organization=organization, key=key).exists():
            raise ConflictError(_("A touchpoint with this key already exists."), field="key")
    else:
        key = _unique_key(organization, name)
    try:
        with transaction.atomic():
            touchpoint = Touchpoint.objects.create(
                organization=organization,
                key=key,
                name=name,
                description=description.strip(),
                position=_next_position(organization),
            )
    except IntegrityError:
        raise ConflictError(_("A touchpoint with this key already exists."), field="key") from None
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="touchpoint.created",
        target=touchpoint,
    )
    return touchpoint


def touchpoint_update(
    *,
    touchpoint: Touchpoint,
    name: str | None = None,
    description: str | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Touchpoint:
    """Rename a touchpoint or change its description (its key stays: printed QR codes use it)."""
    if name is not None:
        touchpoint.name = _clean_name(name)
    if description is not None:
        touchpoint.description = description.strip()
    touchpoint.save(update_fields=["name", "description", "updated_at"])
    activity_record(
        organization=touchpoint.organization,
        actor=actor,
        api_key=api_key,
        verb="touchpoint.updated",
        target=touchpoint,
    )
    return touchpoint


@transaction.atomic
def touchpoint_move_to(
    *,
    touchpoint: Touchpoint,
    index: int,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Touchpoint:
    """Put a touchpoint at this place in the journey (0 = first); the others close up."""
    ordered = list(
        Touchpoint.objects.select_for_update()
        .filter(organization_id=touchpoint.organization_id)
        .order_by("position", "name", "id")
    )
    others = [t for t in ordered if t.pk != touchpoint.pk]
    index = max(0, min(index, len(others)))
    old_index = next((i for i, t in enumerate(ordered) if t.pk == touchpoint.pk), index)
    others.insert(index, touchpoint)
    for position, item in enumerate(others):
        if item.position != position:
            Touchpoint.objects.filter(pk=item.pk).update(position=position)
        item.position = position
    if old_index != index:
        activity_record(
            organization=touchpoint.organization,
            actor=actor,
            api_key=api_key,
            verb="touchpoint.moved",
            target=touchpoint,
            data={"from": old_index + 1, "to": index + 1},
        )
    return touchpoint


def touchpoint_move(
    *, touchpoint: Touchpoint, direction: str, actor: User | None = None
) -> Touchpoint:
    """Move a touchpoint one step earlier ("up") or later ("down") in the journey."""
    if direction not in ("up", "down"):
        raise DomainError(_("Move a touchpoint up or down."), field="direction")
    ids = list(
        Touchpoint.objects.filter(organization_id=touchpoint.organization_id)
        .order_by("position", "name", "id")
        .values_list("pk", flat=True)
    )
    current = ids.index(touchpoint.pk)
    target = current - 1 if direction == "up" else current + 1
    if target < 0 or target >= len(ids):
        return touchpoint
    return touchpoint_move_to(touchpoint=touchpoint, index=target, actor=actor)


def touchpoint_delete(
    *, touchpoint: Touchpoint, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Delete a touchpoint and its listening posts; campaigns, rules and widgets stay, unlinked."""
    activity_record(
        organization=touchpoint.organization,
        actor=actor,
        api_key=api_key,
        verb="touchpoint.deleted",
        target=touchpoint,
    )
    touchpoint.delete()


def listening_post_add(
    *,
    touchpoint: Touchpoint,
    survey: Survey,
    channel: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> ListeningPost:
    """Say that a survey listens at a touchpoint through a channel (a QR code, a link, ...)."""
    if survey.organization_id != touchpoint.organization_id:
        raise DomainError(_("Choose a survey of this organization."), field="survey")
    if channel not in ListeningChannel.values:
        raise DomainError(_("Choose one of the offered channels."), field="channel")
    exists = ListeningPost.objects.filter(touchpoint=touchpoint, survey=survey, channel=channel)
    if exists.exists():
        raise ConflictError(
            _("This survey already listens here through this channel."), field="channel"
        )
    try:
        with transaction.atomic():
            post = ListeningPost.objects.create(
                organization_id=touchpoint.organization_id,
                touchpoint=touchpoint,
                survey=survey,
                channel=channel,
            )
    except IntegrityError:
        raise ConflictError(
            _("This survey already listens here through this channel."), field="channel"
        ) from None
    activity_record(
        organization=touchpoint.organization,
        actor=actor,
        api_key=api_key,
        verb="listening_post.added",
        target=touchpoint,
        data={"survey": str(survey.pk), "survey_name": survey.name, "channel": channel},
    )
    return post


def listening_post_remove(
    *, post: ListeningPost, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Stop counting a survey as listening at a touchpoint through a channel."""
    activity_record(
        organization=post.touchpoint.organization,
        actor=actor,
        api_key=api_key,
        verb="listening_post.removed",
        target=post.touchpoint,
        data={"survey": str(post.survey_id), "channel": post.channel},
    )
    post.delete()


register_verbs(
    {
        DEFAULTS_VERB: gettext_lazy("created the default customer journey"),
        "touchpoint.created": gettext_lazy("added a touchpoint"),
        "touchpoint.updated": gettext_lazy("changed a touchpoint"),
        "touchpoint.moved": gettext_lazy("moved a touchpoint in the journey"),
        "touchpoint.deleted": gettext_lazy("deleted a touchpoint"),
        "listening_post.added": gettext_lazy("added a listening post"),
        "listening_post.removed": gettext_lazy("removed a listening post"),
    }
)
