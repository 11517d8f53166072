"""Action types: each a registry entry with typed parameters and a `run` that returns what it
did, recorded in the rule's run log.

Order and failures: actions run in the rule's order, each in its own savepoint. One that fails
is recorded with its error and the next still runs, with one exception: when `create_case`
fails, the rule's later actions are skipped (recorded as skipped, naming the reason), because
they usually announce or route that case and would otherwise tell people about a case that does
not exist. Actions that reach outside (email, Slack, Teams, webhooks, review invitations) only
add outbox deliveries, keyed by (rule, event, action index), so a rule run twice for the same
event never sends twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.automation.choices import ActionStatus, AssigneeStrategy, Priority
from closeloop.automation.context import EventContext
from closeloop.automation.params import Param
from closeloop.automation.placeholders import case_url, render, render_title, values
from closeloop.core.errors import DomainError

if TYPE_CHECKING:
    from closeloop.accounts.models import Team
    from closeloop.automation.models import Rule

logger = logging.getLogger("closeloop.automation")


class ActionSkipped(Exception):
    """The action had nothing to do here (no email address, no response...); not a failure."""


class ActionUnavailable(Exception):
    """A module the action needs is not installed."""


@dataclass
class ActionResult:
    """What one action did: ok, failed or skipped, and a sentence saying so."""

    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunState:
    """Shared by the actions of one rule run: the rule, the case created earlier, keys."""

    rule: Rule
    ctx: EventContext
    case: Any = None
    index: int = 0
    _values: dict[str, str] | None = None

    @property
    def idempotency_key(self) -> str:
        return f"automation:{self.rule.pk}:{self.ctx.event_key}:{self.index}"[:200]

    def placeholders(self) -> dict[str, str]:
        if self._values is None:
            self._values = values(self.ctx, rule=self.rule, case=self.case)
        return self._values

    def render(self, template: str, *, escape: bool = False) -> str:
        return render(
            template,
            self.ctx,
            rule=self.rule,
            case=self.case,
            escape=escape,
            known=self.placeholders(),
        )


@dataclass(frozen=True)
class ActionType:
    """One kind of thing a rule can do."""

    name: str
    label: str | Promise
    params: tuple[Param, ...]
    run: Callable[[RunState, dict[str, Any]], ActionResult]
    describe: Callable[[dict[str, Any]], str]
    # Subjects (response, case, contact) of the triggers this action may follow.
    subjects: frozenset[str] = frozenset({"response", "case", "contact"})
    enabled: bool = True


ACTIONS: dict[str, ActionType] = {}


def action_register(action: ActionType) -> ActionType:
    ACTIONS[action.name] = action
    return action


def _priorities() -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in Priority.choices]


def _strategies() -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in AssigneeStrategy.choices]


def _team(ctx: EventContext, team_id: str | None) -> Team | None:
    from closeloop.accounts.models import Team

    if not team_id:
        return None
    team = Team.objects.filter(organization=ctx.organization, pk=team_id).first()
    if team is None:
        raise DomainError(_("The team of this action no longer exists."))
    return team


def _ok(detail: str, **data: Any) -> ActionResult:
    return ActionResult(ActionStatus.OK, detail, data)


def _delivery_detail(delivery: Any, what: str) -> ActionResult:
    return _ok(what, delivery=str(getattr(delivery, "pk", "")))


def _notify() -> Any:
    try:
        from closeloop.integrations import notify  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise ActionUnavailable(
            _("Notifications are not available in this installation.")
        ) from None
    return notify


def _response_link(state: RunState) -> str | None:
    return state.placeholders().get("response.url") or None


# --- create a case ----------------------------------------------------------------------------

DEFAULT_CASE_TITLE = "NPS {{nps}} from {{contact.name}}: {{first_comment}}"


def _open_case_of(ctx: EventContext) -> Any:
    """The case still open (not resolved or closed) for the event's response, if any."""
    if ctx.response is None:
        return None
    from closeloop.cases.choices import DONE_STATUSES
    from closeloop.cases.models import Case

    return (
        Case.objects.filter(organization=ctx.organization, response=ctx.response)
        .exclude(status__in=DONE_STATUSES)
        .order_by("created_at")
        .first()
    )


def _create_case(state: RunState, p: dict[str, Any]) -> ActionResult:
    try:
        from closeloop.cases.services import case_create  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ActionUnavailable(_("Cases are not available in this installation.")) from None
    ctx = state.ctx
    team = _team(ctx, p.get("team"))
    existing = _open_case_of(ctx)
    if existing is not None:
        # Two rules (a low NPS and a low CSAT) must not open two cases for one response.
        state.case = existing
        state._values = None
        raise ActionSkipped(
            _("This response already has an open case (%(case)s): no second one was opened.")
            % {"case": getattr(existing, "number", None) or existing.title}
        )
    title = render_title(p.get("title") or DEFAULT_CASE_TITLE, ctx, rule=state.rule)
    if not title:
        title = _("Feedback from %(name)s") % {"name": state.placeholders()["contact.name"]}
    case = case_create(
        organization=ctx.organization,
        title=title,
        team=team,
        priority=p.get("priority") or Priority.NORMAL,
        response=ctx.response,
        contact=ctx.contact,
        assignee_strategy=p.get("assignee_strategy") or AssigneeStrategy.ROUND_ROBIN,
        rule=state.rule,
        tags=list(p.get("tags") or []),
    )
    state.case = case
    state._values = None  # the case's placeholders are known now
    label = getattr(case, "number", None) or getattr(case, "title", "")
    if team is not None:
        detail = _("case %(case)s created for %(team)s") % {"case": label, "team": team.name}
    else:
        detail = _("case %(case)s created") % {"case": label}
    return _ok(detail, case=str(case.pk))


action_register(
    ActionType(
        "create_case",
        gettext_lazy("Create a case"),
        (
            Param("team", gettext_lazy("Team"), "team"),
            Param(
                "priority",
                gettext_lazy("Priority"),
                "choice",
                default=Priority.NORMAL,
                choices=_priorities,
            ),
            Param(
                "assignee_strategy",
                gettext_lazy("Assign to"),
                "choice",
                default=AssigneeStrategy.ROUND_ROBIN,
                choices=_strategies,
            ),
            Param(
                "title",
                gettext_lazy("Title"),
                "text",
                default=DEFAULT_CASE_TITLE,
                help=gettext_lazy(
                    "Placeholders such as {{nps}}, {{contact.name}}, {{first_comment}}."
                ),
            ),
            Param("tags", gettext_lazy("Case tags"), "words"),
        ),
        _create_case,
        lambda p: _("create a case (%(priority)s)") % {"priority": p.get("priority") or "normal"},
        # A case rule creating cases could loop forever.
        subjects=frozenset({"response", "contact"}),
    )
)


# --- notify by email --------------------------------------------------------------------------


def _team_emails(ctx: EventContext, team_id: str | None, *, leads_only: bool) -> list[str]:
    from closeloop.accounts.models import TeamMember

    if not team_id:
        return []
    _team(ctx, team_id)  # refuses a deleted team with a clear error
    members = TeamMember.objects.filter(
        team_id=team_id, team__organization=ctx.organization
    ).select_related("membership__user")
    if leads_only:
        members = members.filter(is_lead=True)
    return sorted({m.membership.user.email for m in members if m.membership.user.is_active})


def _notify_email(state: RunState, p: dict[str, Any]) -> ActionResult:
    ctx = state.ctx
    team_id = p.get("team") or (
        str(state.case.team_id)
        if state.case is not None and getattr(state.case, "team_id", None)
        else None
    )
    who = p.get("recipients") or "members"
    to: list[str] = []
    if who in ("members", "leads"):
        to += _team_emails(ctx, team_id, leads_only=who == "leads")
    to += list(p.get("addresses") or [])
    to = sorted(set(to))
    if not to:
        raise ActionSkipped(_("Nobody to notify: the team has no members and no address is set."))
    subject = render_title(p.get("subject") or "", ctx, rule=state.rule, case=state.case) or _(
        "Feedback needs attention: %(rule)s"
    ) % {"rule": state.rule.name}
    body = state.render(p.get("body") or DEFAULT_NOTIFY_BODY)
    delivery = _notify().notify_email(
        organization=ctx.organization,
        to=to,
        subject=subject,
        text=body,
        idempotency_key=state.idempotency_key,
    )
    return _delivery_detail(
        delivery,
        _("email to %(to)s queued") % {"to": ", ".join(to[:5]) + ("…" if len(to) > 5 else "")},
    )


DEFAULT_NOTIFY_BODY = (
    "{{rule.name}}\n\nScore: {{score}}\nFrom: {{contact.name}}\nSurvey: {{survey.name}}\n\n"
    "{{first_comment}}\n\nResponse: {{response.url}}\nCase: {{case.url}}\n"
)


def _recipients() -> list[tuple[str, str]]:
    return [
        ("members", _("Team members")),
        ("leads", _("Team leads")),
        ("addresses", _("Only the addresses below")),
    ]


action_register(
    ActionType(
        "notify_email",
        gettext_lazy("Notify by email"),
        (
            Param(
                "recipients",
                gettext_lazy("Send to"),
                "choice",
                default="members",
                choices=_recipients,
            ),
            Param(
                "team",
                gettext_lazy("Team"),
                "team",
                help=gettext_lazy("Empty: the team of the case created by this rule."),
            ),
            Param("addresses", gettext_lazy("Also to these addresses"), "emails"),
            Param("subject", gettext_lazy("Subject"), "text"),
            Param("body", gettext_lazy("Message"), "textarea", default=DEFAULT_NOTIFY_BODY),
        ),
        _notify_email,
        lambda p: {
            "members": _("email the team's members"),
            "leads": _("email the team's leads"),
        }.get(
            p.get("recipients") or "members",
            _("email %(to)s") % {"to": ", ".join(p.get("addresses") or [])},
        ),
    )
)


# --- Slack and Teams --------------------------------------------------------------------------


def _chat_fields(state: RunState) -> dict[str, str]:
    v = state.placeholders()
    fields = {
        str(_("Score")): v.get("score", ""),
        str(_("Customer")): v.get("contact.name", ""),
        str(_("Survey")): v.get("survey.name", ""),
        str(_("Language")): v.get("language", ""),
    }
    if state.case is not None:
        fields[str(_("Case"))] = v.get("case.title", "")
    return {k: val for k, val in fields.items() if val}


def _chat(kind: str) -> Callable[[RunState, dict[str, Any]], ActionResult]:
    def run(state: RunState, p: dict[str, Any]) -> ActionResult:
        notify = _notify()
        send = notify.notify_slack if kind == "slack" else notify.notify_teams
        title = render_title(
            p.get("title") or "{{rule.name}}", state.ctx, rule=state.rule, case=state.case
        )
        delivery = send(
            organization=state.ctx.organization,
            webhook_url=p["webhook_url"],
            title=title,
            text=state.render(p.get("text") or "{{first_comment}}"),
            fields=_chat_fields(state),
            link=state.placeholders().get("case.url") or _response_link(state),
            idempotency_key=state.idempotency_key,
        )
        name = "Slack" if kind == "slack" else "Microsoft Teams"
        return _delivery_detail(delivery, _("message to %(name)s queued") % {"name": name})

    return run


for _kind, _label in (
    ("slack", gettext_lazy("Post to Slack")),
    ("teams", gettext_lazy("Post to Microsoft Teams")),
):
    action_register(
        ActionType(
            _kind,
            _label,
            (
                Param(
                    "webhook_url",
                    gettext_lazy("Incoming webhook URL"),
                    "secret_url",
                    required=True,
                    help=gettext_lazy("Shown shortened once saved; paste a new one to change it."),
                ),
                Param("title", gettext_lazy("Title"), "text", default="{{rule.name}}"),
                Param("text", gettext_lazy("Text"), "textarea", default="{{first_comment}}"),
            ),
            _chat(_kind),
            (lambda name: lambda p: _("post to %(name)s") % {"name": name})(
                "Slack" if _kind == "slack" else "Microsoft Teams"
            ),
        )
    )


# --- webhook ----------------------------------------------------------------------------------


def event_payload(state: RunState) -> dict[str, Any]:
    """What a webhook action sends: the event, the rule, and the response/contact/case ids."""
    ctx = state.ctx
    v = state.placeholders()
    payload: dict[str, Any] = {
        "type": f"automation.{ctx.trigger}",
        "event": ctx.trigger,
        "rule": {"id": str(state.rule.pk), "name": state.rule.name},
        "subject": {"type": ctx.subject_type, "id": ctx.subject_id},
        "organization": {"id": str(ctx.organization.pk), "slug": ctx.organization.slug},
    }
    if ctx.response is not None:
        r = ctx.response
        payload["response"] = {
            "id": str(r.pk),
            "survey_id": str(r.survey_id),
            "survey": r.survey.name,
            "language": r.language,
            "channel": r.channel,
            "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            "scores": {s.key: s.value for s in ctx.scores},
            "first_comment": ctx.first_comment,
            "url": v.get("response.url", ""),
        }
    if ctx.contact is not None and ctx.contact.erased_at is None:
        payload["contact"] = {
            "id": str(ctx.contact.pk),
            "email": ctx.contact.email,
            "name": ctx.contact.full_name,
            "external_id": ctx.contact.external_id,
        }
    case = state.case or ctx.case
    if case is not None:
        payload["case"] = {
            "id": str(case.pk),
            "title": str(getattr(case, "title", "")),
            "status": str(getattr(case, "status", "")),
            "priority": str(getattr(case, "priority", "")),
            "url": case_url(ctx, case),
        }
    return payload


def _webhook(state: RunState, p: dict[str, Any]) -> ActionResult:
    if not p.get("secret"):
        # Saving the rule makes a secret; only a hand-edited rule can lack one.
        raise DomainError(
            _("This webhook action has no signing secret: save the rule again to make one.")
        )
    delivery = _notify().webhook_post(
        organization=state.ctx.organization,
        url=p["url"],
        payload=event_payload(state),
        secret=p["secret"],
        idempotency_key=state.idempotency_key,
    )
    return _delivery_detail(delivery, _("signed webhook call queued"))


action_register(
    ActionType(
        "webhook",
        gettext_lazy("Call a webhook"),
        (
            Param("url", gettext_lazy("URL"), "secret_url", required=True),
            Param(
                "secret",
                gettext_lazy("Signing secret"),
                "secret",
                help=gettext_lazy(
                    "Every call is signed as Standard Webhooks with it. Leave empty to have one "
                    "made: it is shown once, after saving."
                ),
            ),
        ),
        _webhook,
        lambda p: _("call a webhook"),
    )
)


# --- email the respondent ---------------------------------------------------------------------


def _pick_language(texts: dict[str, str], ctx: EventContext) -> str | None:
    for language in (
        ctx.language,
        ctx.contact.language if ctx.contact is not None else "",
        ctx.organization.default_language,
        "en",
    ):
        if language and language in texts:
            return language
        if language and language.split("-")[0] in texts:
            return language.split("-")[0]
    return next(iter(texts), None)


def _unsubscribe_url(contact: Any) -> str:
    from closeloop.contacts.services import unsubscribe_token_for

    try:
        path = reverse("contacts_public:unsubscribe", args=[unsubscribe_token_for(contact)])
    except NoReverseMatch:
        return ""
    return settings.BASE_URL.rstrip("/") + path


RESPONDENT_EMAIL = "automation_email"


def _email_respondent(state: RunState, p: dict[str, Any]) -> ActionResult:
    ctx = state.ctx
    contact = ctx.contact
    if contact is None:
        raise ActionSkipped(_("The respondent is anonymous: no email address."))
    if contact.erased_at is not None:
        raise ActionSkipped(_("The contact was erased."))
    if contact.unsubscribed_at is not None:
        raise ActionSkipped(_("The contact unsubscribed."))
    if not contact.email:
        raise ActionSkipped(_("The contact has no email address."))
    subjects: dict[str, str] = p.get("subject") or {}
    bodies: dict[str, str] = p.get("body") or {}
    language = _pick_language(bodies, ctx)
    if language is None:
        raise ActionSkipped(_("The template has no text."))
    subject = render_title(
        subjects.get(language) or next(iter(subjects.values()), ""),
        ctx,
        rule=state.rule,
        case=state.case,
    )
    body = state.render(bodies[language])
    unsubscribe = _unsubscribe_url(contact)
    if unsubscribe:
        body += "\n\n—\n" + _("Unsubscribe: %(url)s") % {"url": unsubscribe}
    delivery = _notify().notify_email(
        organization=ctx.organization,
        to=[contact.email],
        subject=subject or ctx.organization.name,
        text=body,
        idempotency_key=state.idempotency_key,
        language=language,
        # Consent is checked again right before it is sent (automation.outbox).
        related_type=RESPONDENT_EMAIL,
        related_id=str(contact.pk),
    )
    return _delivery_detail(
        delivery, _("email to the respondent queued (%(language)s)") % {"language": language}
    )


action_register(
    ActionType(
        "email_respondent",
        gettext_lazy("Email the respondent"),
        (
            Param("subject", gettext_lazy("Subject"), "localized", required=True),
            Param(
                "body",
                gettext_lazy("Message"),
                "localized",
                required=True,
                help=gettext_lazy(
                    "One text per language; the respondent's language is used, "
                    "else the organization's."
                ),
            ),
        ),
        _email_respondent,
        lambda p: (
            _("email the respondent (%(languages)s)")
            % {"languages": ", ".join(sorted((p.get("body") or {}).keys()))}
        ),
    )
)


# --- tags and routing -------------------------------------------------------------------------


def _add_tags(state: RunState, p: dict[str, Any]) -> ActionResult:
    from closeloop.automation.models import ResponseTag

    ctx = state.ctx
    if ctx.response is None:
        raise ActionSkipped(_("There is no response to tag."))
    tags = [t.casefold()[:60] for t in p.get("tags") or []]
    added = []
    for tag in tags:
        _row, created = ResponseTag.objects.get_or_create(
            response=ctx.response,
            tag=tag,
            defaults={"organization": ctx.organization, "rule": state.rule},
        )
        if created:
            added.append(tag)
    if not added:
        return _ok(_("already tagged %(tags)s") % {"tags": ", ".join(tags)})
    return _ok(_("tagged %(tags)s") % {"tags": ", ".join(added)}, tags=added)


action_register(
    ActionType(
        "add_tags",
        gettext_lazy("Add tags"),
        (Param("tags", gettext_lazy("Tags"), "words", required=True),),
        _add_tags,
        lambda p: _("tag %(tags)s") % {"tags": ", ".join(p.get("tags") or [])},
    )
)


def _route(state: RunState, p: dict[str, Any]) -> ActionResult:
    from closeloop.automation.models import TeamFeedback

    ctx = state.ctx
    if ctx.response is None:
        raise ActionSkipped(_("There is no response to route."))
    team = _team(ctx, p.get("team"))
    assert team is not None
    reason = (state.render(p.get("reason") or "") or state.rule.name)[:300]
    _row, created = TeamFeedback.objects.get_or_create(
        team=team,
        response=ctx.response,
        defaults={"organization": ctx.organization, "rule": state.rule, "reason": reason},
    )
    if not created:
        return _ok(_("already in the inbox of %(team)s") % {"team": team.name})
    return _ok(_("routed to %(team)s") % {"team": team.name}, team=str(team.pk))


action_register(
    ActionType(
        "route_to_team",
        gettext_lazy("Route to a team's inbox"),
        (
            Param("team", gettext_lazy("Team"), "team", required=True),
            Param(
                "reason",
                gettext_lazy("Reason"),
                "text",
                help=gettext_lazy("Shown in the team's inbox; the rule's name when empty."),
            ),
        ),
        _route,
        lambda p: _("route to a team"),
    )
)


# --- review invitation ------------------------------------------------------------------------


def _review(state: RunState, p: dict[str, Any]) -> ActionResult:
    try:
        from closeloop.advocacy import services as advocacy
    except ImportError:
        raise ActionUnavailable(
            _("Review invitations are not available in this installation.")
        ) from None
    ctx = state.ctx
    if ctx.response is None:
        raise ActionSkipped(_("There is no response to invite a review for."))
    if rule_is_review_gating(ctx.organization, state.rule.conditions or {}):
        # Saved while promoters-only was chosen, which has since been turned off.
        raise DomainError(review_gating_message())
    sent = advocacy.review_invitation_send(
        response=ctx.response, idempotency_key=state.idempotency_key
    )
    if sent is None:
        reason = advocacy.review_invitation_skip_reason(response=ctx.response)
        raise ActionSkipped(reason or _("No review invitation is sent for this response."))
    return _ok(_("review invitation queued"), invitation=str(getattr(sent, "pk", "")))


def review_gating_message() -> str:
    """Why a review invitation may not depend on the score (in the active language)."""
    return _(
        "A rule that sends review invitations cannot pick customers by their score: Google "
        "and Trustpilot forbid asking only happy customers (“review gating”). Remove this "
        "condition, or choose “Promoters only” under Reviews and advocates → Who is asked."
    )


def score_question_keys(organization: Any) -> set[str]:
    """Keys of the score questions (NPS, CSAT, CES, rating) in the organization's surveys."""
    from closeloop.automation.conditions import SCORE_QUESTION_TYPES
    from closeloop.surveys.models import SurveyVersion

    keys: set[str] = set()
    for definition in SurveyVersion.objects.filter(survey__organization=organization).values_list(
        "definition", flat=True
    ):
        for page in (definition or {}).get("pages") or []:
            for question in page.get("questions") or []:
                if question.get("type") in SCORE_QUESTION_TYPES and question.get("key"):
                    keys.add(str(question["key"]))
    return keys


def selective_asking_allowed(organization: Any) -> bool:
    """Whether the organization chose "promoters only", acknowledging the warning."""
    try:
        from closeloop.advocacy.services import selective_asking_allowed as allowed
    except ImportError:
        return False
    return allowed(organization=organization)


def review_gating_index(organization: Any, conditions: dict[str, Any]) -> int | None:
    """The first condition that would make review invitations depend on the score, unless
    the organization chose promoters only; None when there is none (or it is allowed)."""
    from closeloop.automation.conditions import selective_indexes

    rules = conditions.get("rules") or []
    if not rules:
        return None
    needs_keys = any(c.get("type") == "answer" for c in rules)
    found = selective_indexes(
        conditions, score_question_keys(organization) if needs_keys else set()
    )
    if not found or selective_asking_allowed(organization):
        return None
    return found[0]


def rule_is_review_gating(organization: Any, conditions: dict[str, Any]) -> bool:
    return review_gating_index(organization, conditions) is not None


action_register(
    ActionType(
        "send_review_invitation",
        gettext_lazy("Send a review invitation"),
        (),
        _review,
        lambda p: _("send a review invitation"),
    )
)


# --- running ----------------------------------------------------------------------------------


def describe(action: dict[str, Any]) -> str:
    kind = ACTIONS.get(str(action.get("type")))
    if kind is None:
        return _("unknown action %(type)s") % {"type": action.get("type")}
    try:
        return kind.describe(action.get("params") or {})
    except Exception:  # a hand-edited action must not break a page
        return str(kind.label)


def run_action(state: RunState, action: dict[str, Any]) -> ActionResult:
    """Run one action; every outcome, including an error, becomes an ActionResult."""
    kind = ACTIONS.get(str(action.get("type")))
    if kind is None or not kind.enabled:
        return ActionResult(ActionStatus.FAILED, _("This action type is not available."))
    if state.ctx.subject_type not in kind.subjects:
        return ActionResult(ActionStatus.SKIPPED, _("This action does not apply to this event."))
    try:
        return kind.run(state, action.get("params") or {})
    except ActionSkipped as exc:
        return ActionResult(ActionStatus.SKIPPED, str(exc))
    except (ActionUnavailable, DomainError) as exc:
        return ActionResult(ActionStatus.FAILED, getattr(exc, "message", None) or str(exc))
    except Exception as exc:
        logger.exception("automation action %s of rule %s failed", kind.name, state.rule.pk)
        return ActionResult(ActionStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500])
