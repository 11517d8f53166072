"""An email backend that keeps messages in the database so the demo's mailbox page shows them."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

ORG_HEADER = "X-Closeloop-Org"


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from closeloop.accounts.models import Organization
        from closeloop.integrations.models import MailboxMessage

        sent = 0
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for alternative in message.alternatives:
                    content, mimetype = alternative[0], alternative[1]
                    if mimetype == "text/html":
                        html = str(content)
            headers = {k: str(v) for k, v in (message.extra_headers or {}).items()}
            org = None
            if org_id := headers.get(ORG_HEADER):
                org = Organization.objects.filter(pk=org_id).first()
            MailboxMessage.objects.create(
                organization=org,
                from_email=str(message.from_email),
                to=[str(a) for a in message.to],
                subject=str(message.subject),
                text_body=str(message.body),
                html_body=html,
                headers=headers,
            )
            sent += 1
        return sent
