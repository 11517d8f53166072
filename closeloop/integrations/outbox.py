"""The outbox: every external side effect (an email, a webhook call) is a Delivery row, sent by a
worker that claims it with a conditional UPDATE, retried with backoff, and given a final state.

A crash between claiming and finishing leaves the row `sending`; once its claim is old it is
picked up again (at least once, never lost). Two workers never claim the same due row.

Transports are registered per kind (`@transport("email")`); hooks per related type
(`@on_delivery("invitation")`) hear when a row is sent, finally failed, or cancelled at send
time. Checks per related type (`@send_check("invitation")`) run right before each attempt (and
before a manual redelivery): consent can change while a row waits, so a row whose recipient
has since unsubscribed or been erased is cancelled with the reason instead of sent.

Every kind (email, webhook, Slack, Teams) is retried on the Standard Webhooks schedule: right
away, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, so the 8th and last attempt is
about 27.6 hours after the first: a receiver or an SMTP relay that is down for a night loses
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core.periodic import periodic
from closeloop.core.tasks import enqueue_on_commit
from closeloop.integrations.mailbox import ORG_HEADER
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus

logger = logging.getLogger("closeloop.outbox")

# A row left `sending` this long ago belongs to a worker that died: claim it again.
SENDING_STALE = timedelta(minutes=10)
# Standard Webhooks' schedule (https://www.standardwebhooks.com/), for every kind: the delay
# after the n-th failed attempt.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# The first attempt and one per delay: the last one about 27.6 hours after the first.
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
FLUSH_BATCH = 500
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class DeliveryError(Exception):
    """A send that did not go through; `permanent` ones are not retried (`bounced`: the
    recipient was refused)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        bounced: bool = False,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or bounced
        self.bounced = bounced
        self.code = code


@dataclass
class SendSession:
    """Per-flush resources shared by the sends of one pass (one SMTP connection)."""

    _email: BaseEmailBackend | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def email_connection(self) -> BaseEmailBackend:
        if self._email is None:
            self._email = mailers.default
            self._email.open()
        return self._email

    def reset_email(self) -> None:
        """Drop the connection after an error: the next send opens a fresh one."""
        if self._email is not None:
            try:
                self._email.close()
            except Exception:  # closing a broken connection may fail too
                logger.debug("closing the email connection failed", exc_info=True)
            self._email = None

    def close(self) -> None:
        self.reset_email()


@dataclass(frozen=True)
class SendBlock:
    """Why a delivery must not be sent now: `reason` is stored as its last error (stable text
    for the log), `message` tells a person (translated)."""

    reason: str
    message: str


Transport = Callable[[Delivery, SendSession], None]
Hook = Callable[[Delivery], None]
Check = Callable[[Delivery], SendBlock | None]

TRANSPORTS: dict[str, Transport] = {}
HOOKS: dict[str, list[Hook]] = {}
CHECKS: dict[str, list[Check]] = {}
ERASED_REASON = "contact erased"


def transport(kind: str) -> Callable[[Transport], Transport]:
    """Register the function that sends deliveries of `kind`; it raises on failure."""

    def register(fn: Transport) -> Transport:
        TRANSPORTS[kind] = fn
        return fn

    return register


def on_delivery(related_type: str) -> Callable[[Hook], Hook]:
    """Register a hook called (in the sending transaction) when a delivery of this related type
    is sent, has finally failed, or was cancelled by a send check; it reads `delivery.status`,
    `last_error` and `response_status` (the SMTP code of a refused recipient: a bounce)."""

    def register(fn: Hook) -> Hook:
        HOOKS.setdefault(related_type, [])
        if fn not in HOOKS[related_type]:
            HOOKS[related_type].append(fn)
        return fn

    return register


def send_check(related_type: str) -> Callable[[Check], Check]:
    """Register a check run right before a delivery of this related type is sent (and before
    a redelivery); returning a SendBlock cancels the row instead of sending it."""

    def register(fn: Check) -> Check:
        CHECKS.setdefault(related_type, [])
        if fn not in CHECKS[related_type]:
            CHECKS[related_type].append(fn)
        return fn

    return register


def send_blocked(delivery: Delivery) -> SendBlock | None:
    """The first reason this delivery may not be sent now (erased recipient, withdrawn
    consent), or None."""
    if (delivery.payload or {}).get("erased"):
        return SendBlock(
            reason=ERASED_REASON,
            message=_("The recipient was erased (GDPR): nothing is sent to them again."),
        )
    for check in CHECKS.get(delivery.related_type, []):
        block = check(delivery)
        if block is not None:
            return block
    return None


def backoff(attempts: int) -> timedelta:
    """The delay after the given (1-based) failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
    then 10 h."""
    return RETRY_SCHEDULE[min(max(attempts, 1), len(RETRY_SCHEDULE)) - 1]


# --- enqueue ------------------------------------------------------------------------------------


def delivery_enqueue(
    *,
    organization: Any,
    kind: str,
    target: str,
    payload: dict[str, Any],
    idempotency_key: str,
    related_type: str = "",
    related_id: str = "",
    not_before: dt.datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    dispatch: bool = True,
) -> Delivery:
    """Add an outbox row once per idempotency key (a second call returns the first row); with
    `dispatch` a task sends it as soon as the transaction commits."""
    existing = Delivery.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                organization=organization,
                kind=kind,
                target=target[:1000],
                payload=payload,
                idempotency_key=idempotency_key,
                related_type=related_type,
                related_id=str(related_id),
                max_attempts=max_attempts,
                next_attempt_at=not_before or timezone.now(),
            )
    except IntegrityError:
        return Delivery.objects.get(idempotency_key=idempotency_key)
    if dispatch:
        enqueue_on_commit(outbox_send, str(delivery.pk))
    return delivery


def deliveries_cancel(*, related_type: str, related_ids: list[str], reason: str = "") -> int:
    """Cancel the rows not sent yet for these related objects; returns how many."""
    changes: dict[str, Any] = {"status": DeliveryStatus.CANCELLED, "updated_at": timezone.now()}
    if reason:
        changes["last_error"] = reason
    return Delivery.objects.filter(
        related_type=related_type, related_id__in=related_ids, status__in=DUE_STATUSES
    ).update(**changes)


# --- claim --------------------------------------------------------------------------------------


def _due(now: dt.datetime) -> Q:
    return Q(status__in=DUE_STATUSES, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - SENDING_STALE
    )


def _minute_start(now: dt.datetime) -> dt.datetime:
    return now.replace(second=0, microsecond=0)


def email_sent_this_minute(*, organization_id: Any, now: dt.datetime) -> int:
    """Email claims of the organization in the current clock minute (the throttle's count)."""
    start = _minute_start(now)
    return Delivery.objects.filter(
        organization_id=organization_id,
        kind=DeliveryKind.EMAIL,
        claimed_at__gte=start,
        claimed_at__lt=start + timedelta(minutes=1),
    ).count()


def delivery_claim(*, delivery_id: Any, now: dt.datetime | None = None) -> bool:
    """Take a due row for sending (conditional UPDATE): True for exactly one claimer."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(_due(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return claimed == 1


def _claim_batch(
    ids_by_org: dict[Any, list[Any]], kinds: dict[Any, str], now: dt.datetime
) -> list[Any]:
    """Claim due rows, at most EMAIL_RATE_PER_MINUTE emails per organization this minute."""
    from closeloop.accounts.models import Organization

    claimed: list[Any] = []
    rate = settings.EMAIL_RATE_PER_MINUTE
    for org_id, ids in ids_by_org.items():
        with transaction.atomic():
            # Serialize claimers of one organization so the per-minute count holds.
            if org_id is not None:
                Organization.objects.select_for_update().filter(pk=org_id).first()
            room = rate - email_sent_this_minute(organization_id=org_id, now=now)
            for pk in ids:
                is_email = kinds[pk] == DeliveryKind.EMAIL
                if is_email and org_id is not None and room <= 0:
                    continue  # waits for the next minute
                if delivery_claim(delivery_id=pk, now=now):
                    claimed.append(pk)
                    if is_email:
                        room -= 1
    return claimed


# --- send ---------------------------------------------------------------------------------------


def _run_hooks(delivery: Delivery) -> None:
    for hook in HOOKS.get(delivery.related_type, []):
        hook(delivery)


def _finish(
    delivery: Delivery,
    now: dt.datetime,
    error: DeliveryError | Exception | None,
    block: SendBlock | None = None,
) -> None:
    with transaction.atomic():
        if block is not None:
            delivery.status = DeliveryStatus.CANCELLED
            delivery.last_error = block.reason
            final = True
        elif error is None:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.last_error = ""
            final = True
        else:
            delivery.last_error = f"{type(error).__name__}: {error}"[:4000]
            permanent = isinstance(error, DeliveryError) and error.permanent
            if permanent or delivery.attempts >= delivery.max_attempts:
                delivery.status = DeliveryStatus.FAILED
                final = True
            else:
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                final = False
        # Fenced on the claim: a worker that lost its stale claim cannot overwrite the new owner.
        updated = Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
        ).update(
            status=delivery.status,
            sent_at=delivery.sent_at,
            last_error=delivery.last_error,
            response_status=delivery.response_status,
            next_attempt_at=delivery.next_attempt_at,
            updated_at=now,
        )
        if updated and final:
            _run_hooks(delivery)


def _attempt(delivery: Delivery, session: SendSession, now: dt.datetime) -> str:
    block = send_blocked(delivery)
    if block is not None:
        logger.info("Delivery %s cancelled before sending: %s", delivery.pk, block.reason)
        _finish(delivery, now, None, block)
        return delivery.status
    send = TRANSPORTS.get(delivery.kind)
    error: Exception | None = None
    if send is None:
        error = DeliveryError(f"no transport for {delivery.kind}", permanent=True)
    else:
        try:
            send(delivery, session)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # any other failure is worth another try
            error = exc
            if delivery.kind == DeliveryKind.EMAIL:
                session.reset_email()
    if error is not None:
        if isinstance(error, DeliveryError) and error.code is not None:
            delivery.response_status = error.code
        logger.warning("Delivery %s attempt %d failed: %s", delivery.pk, delivery.attempts, error)
    _finish(delivery, now, error)
    return delivery.status


def delivery_attempt(
    *, delivery_id: Any, now: dt.datetime | None = None, session: SendSession | None = None
) -> str | None:
    """Claim one row and send it; the row's new status, or None if it was not ours to send."""
    now = now or timezone.now()
    delivery = Delivery.objects.filter(pk=delivery_id).only("organization_id", "kind").first()
    if delivery is None:
        return None
    if not _claim_batch(
        {delivery.organization_id: [delivery.pk]}, {delivery.pk: delivery.kind}, now
    ):
        return None
    own = session or SendSession()
    try:
        return _attempt(
            Delivery.objects.select_related("organization").get(pk=delivery_id), own, now
        )
    finally:
        if session is None:
            own.close()


def deliveries_flush(*, now: dt.datetime | None = None, limit: int = FLUSH_BATCH) -> int:
    """Send every due row (oldest first, throttled per organization); returns how many sent."""
    now = now or timezone.now()
    rows = list(
        Delivery.objects.filter(_due(now))
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", "organization_id", "kind")[:limit]
    )
    ids_by_org: dict[Any, list[Any]] = {}
    kinds: dict[Any, str] = {}
    for pk, org_id, kind in rows:
        ids_by_org.setdefault(org_id, []).append(pk)
        kinds[pk] = kind
    claimed = _claim_batch(ids_by_org, kinds, now)
    sent = 0
    session = SendSession()
    try:
        claimed_rows = Delivery.objects.filter(pk__in=claimed).select_related("organization")
        for delivery in claimed_rows.order_by("created_at"):
            if _attempt(delivery, session, now) == DeliveryStatus.SENT:
                sent += 1
    finally:
        session.close()
    return sent


# --- transports ---------------------------------------------------------------------------------


def sender(organization: Any) -> str:
    """The From of an organization's email: its name and the address of DEFAULT_FROM_EMAIL
    ("Acme Coffee <noreply@example.com>"); DEFAULT_FROM_EMAIL itself without an organization."""
    if organization is None:
        return str(settings.DEFAULT_FROM_EMAIL)
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # One line: a name typed with a line break must not break the header.
    name = " ".join(str(organization.name).split())
    try:
        return str(Address(display_name=name, addr_spec=address or "noreply@localhost"))
    except ValueError:  # an address without a domain: send as configured
        return str(settings.DEFAULT_FROM_EMAIL)


def email_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The message an email delivery stands for: payload {subject, text, html, headers, from};
    without a "from", an organization's email is sent in its name (`sender`)."""
    payload = delivery.payload
    headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
    if delivery.organization_id is not None:
        # The demo mailbox files it under the organization (and GDPR erasure finds it there).
        headers.setdefault(ORG_HEADER, str(delivery.organization_id))
    message = EmailMultiAlternatives(
        subject=str(payload.get("subject", "")),
        body=str(payload.get("text", "")),
        from_email=payload.get("from") or sender(delivery.organization),
        to=[delivery.target],
        headers=headers,
    )
    if payload.get("html"):
        message.attach_alternative(str(payload["html"]), "text/html")
    return message


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code)
    return None


@transport(DeliveryKind.EMAIL)
def send_email(delivery: Delivery, session: SendSession) -> None:
    """Send through Django's default mailer (settings.MAILERS); a 5xx refusal of the recipient
    is a bounce, not retried."""
    connection = session.email_connection()
    try:
        sent = connection.send_messages([email_message(delivery)])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
        session.reset_email()
        code = _smtp_code(exc)
        if code is not None and code >= 500:
            raise DeliveryError(
                f"refused by the recipient's server ({code})", bounced=True, code=code
            ) from exc
        raise
    if not sent:
        raise DeliveryError("the mailer sent nothing")


# --- tasks --------------------------------------------------------------------------------------


@task
def outbox_send(delivery_id: str) -> str | None:
    """Send one delivery now (enqueued when it is created)."""
    return delivery_attempt(delivery_id=delivery_id)


@periodic(every=timedelta(seconds=20), name="integrations.outbox_flush")
@task
def outbox_flush() -> int:
    """Send whatever is due: retries, throttled rows, scheduled rows, stale claims."""
    return deliveries_flush()
