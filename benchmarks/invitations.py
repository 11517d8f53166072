"""Benchmark of email invitations: rendered and sent per second to a local SMTP server.

    python benchmarks/invitations.py [--n 1000]

Sets up a throwaway database (SQLite in a temporary folder; PostgreSQL when DATABASE_URL points
to a server: a fresh database named closeloop_bench_invitations), publishes an NPS survey in
English and Korean, adds N customers (half Korean) in a segment and starts a real SMTP server
(aiosmtpd on 127.0.0.1). Then a campaign to the segment, as the worker runs it: every contact
through the frequency rules, an invitation with a personal link, the email rendered in the
contact's language (HTML + text, one-click NPS buttons, unsubscribe headers) into an outbox
row; then the outbox sends every row over one SMTP connection. The baseline renders the same
N emails only (no database writes, no SMTP), in the same process.
"""

from __future__ import annotations

import argparse
import os
import time

from _setup import bench_org, setup_django

BENCH_DB = "closeloop_bench_invitations"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="invitations (default 1000)")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Measure, do not throttle.
    label = setup_django(BENCH_DB, env={"EMAIL_RATE_PER_MINUTE": str(10 * args.n + 1000)})

    from django.conf import settings

    from closeloop.contacts.models import Contact
    from closeloop.distribution.campaigns_services import campaign_send_now
    from closeloop.distribution.emails import invitation_email
    from closeloop.distribution.models import Invitation
    from closeloop.distribution.sending import campaign_process, campaign_template
    from closeloop.distribution.tests.campaigns_factories import (
        SmtpServer,
        all_customers,
        bilingual_template,
        make_campaign,
        nps_survey,
    )
    from closeloop.integrations.models import Delivery, DeliveryStatus
    from closeloop.integrations.outbox import deliveries_flush

    server = SmtpServer()
    server.sink.keep = False  # count only: parsing would cost the benchmark's own time
    server.start()
    settings.MAILERS = server.mailers()
    try:
        _owner, org = bench_org(name="Bench Coffee", time_zone="Asia/Seoul")
        survey = nps_survey(org)
        Contact.objects.bulk_create(
            Contact(
                organization=org,
                email=f"customer{n}@bench.example",
                first_name=["민지", "Alice"][n % 2],
                language=["ko", "en"][n % 2],
            )
            for n in range(args.n)
        )
        campaign = make_campaign(
            org, survey, segment=all_customers(org), template=bilingual_template(org)
        )
        campaign_send_now(campaign=campaign)

        started = time.perf_counter()
        campaign_process(campaign_id=campaign.pk)
        processed = time.perf_counter() - started
        t_send = time.perf_counter()
        sent = 0
        while True:
            batch = deliveries_flush(limit=500)
            sent += batch
            if not batch:
                break
        sending = time.perf_counter() - t_send
        total = time.perf_counter() - started

        invitations = list(
            Invitation.objects.filter(campaign=campaign).select_related(
                "organization", "survey", "survey__current_version", "contact"
            )
        )
        template = campaign_template(campaign)
        t_render = time.perf_counter()
        for invitation in invitations:
            invitation_email(invitation=invitation, template=template)
        rendering = time.perf_counter() - t_render
    finally:
        server.stop()

    failed = Delivery.objects.exclude(status=DeliveryStatus.SENT).count()
    rate = sent / total
    render_rate = len(invitations) / rendering
    print(f"database: {label}")
    print(f"invitations: {args.n} to a segment (ko/en), NPS embedded, aiosmtpd on 127.0.0.1")
    print(f"  rendered and sent/s (end to end): {rate:.1f}  ({total:.2f} s)")
    print(f"    campaign run (rules, invitation, link, render, outbox row): "
          f"{args.n / processed:.1f}/s  ({processed:.2f} s)")  # fmt: skip
    print(f"    outbox to SMTP (claim, send, mark sent, invitation sent): "
          f"{sent / sending:.1f}/s  ({sending:.2f} s)")  # fmt: skip
    print(f"  rendering only: {render_rate:.1f}/s  ({rendering:.2f} s)")
    print(f"  ratio (rendering only / end to end): {render_rate / rate:.2f}x")
    print(f"  messages received by the SMTP server: {server.sink.count}; not sent: {failed}")


if __name__ == "__main__":
    main()
