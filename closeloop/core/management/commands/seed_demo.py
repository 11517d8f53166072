"""`seed_demo`: load the demo organizations (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from closeloop.demo.seed import DEMO_PASSWORD, OWNER_EMAIL, seed_demo


class Command(BaseCommand):
    help = "Create the demo organizations and logins; running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        seed_demo()
        self.stdout.write(f"Demo data ready. Log in as {OWNER_EMAIL} / {DEMO_PASSWORD}")
