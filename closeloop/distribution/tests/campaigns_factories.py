"""Helpers for the campaign tests and the benchmark: a published NPS survey, customers in two
languages, a segment, and a real SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from closeloop.accounts.models import Organization
from closeloop.contacts.models import Contact, Segment
from closeloop.contacts.services import contact_create, segment_create
from closeloop.distribution.campaigns_services import campaign_create, email_template_create
from closeloop.distribution.models import Campaign, EmailTemplate
from closeloop.responses.testing import feedback_definition, publish_survey
from closeloop.surveys.models import Survey

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def nps_survey(organization: Organization, name: str = "Quarterly NPS") -> Survey:
    """A published survey in English and Korean whose first question is NPS."""
    return publish_survey(organization, feedback_definition(), name=name)


def customer(organization: Organization, email_address: str, first_name: str, language: str,
             **data: Any) -> Contact:  # fmt: skip
    return contact_create(
        organization=organization,
        actor=None,
        data={"email": email_address, "first_name": first_name, "language": language, **data},
    )


def all_customers(organization: Organization, name: str = "All customers") -> Segment:
    return segment_create(
        organization=organization,
        name=name,
        definition={"match": "all", "rules": [{"field": "kind", "op": "eq", "value": "customer"}]},
        actor=None,
    )


def bilingual_template(organization: Organization) -> EmailTemplate:
    return email_template_create(
        organization=organization,
        name="Bilingual",
        texts={
            "en": {
                "subject": "{{contact.first_name}}, how was {{organization.name}}?",
                "body": "Hi {{contact.first_name}},\n\nTell us about your last visit.",
                "button": "Answer the survey",
            },
            "ko": {
                "subject": "{{contact.first_name}}님, {{organization.name}}은 어떠셨나요?",
                "body": "안녕하세요 {{contact.first_name}}님,\n\n최근 방문에 대해 알려주세요.",
                "button": "설문 참여하기",
            },
        },
    )


def make_campaign(organization: Organization, survey: Survey, **kwargs: Any) -> Campaign:
    kwargs.setdefault("name", "Quarterly NPS — Q4")
    return campaign_create(organization=organization, survey=survey, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    """An aiosmtpd handler keeping every message; addresses in `refuse` get a 550."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    count: int = 0
    keep: bool = True  # parse and keep each message (off in the benchmark: count only)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        if self.keep:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 and a free port, for one test."""

    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def mailers(self) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": SMTP_BACKEND,
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }


def isolation_campaign(organization: Organization) -> Campaign:
    """A draft campaign of the organization (for the tenant-isolation walker)."""
    from closeloop.surveys.services import survey_create

    survey = survey_create(organization=organization, actor=None, name="Campaign isolation")
    segment = all_customers(organization, name="Campaign isolation")
    return make_campaign(organization, survey, name="Isolation campaign", segment=segment)


def isolation_email_template(organization: Organization) -> EmailTemplate:
    return email_template_create(organization=organization, name="Isolation", texts={})
