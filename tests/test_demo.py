"""The demo: seeded data, and `closeloop demo` serving pages until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from closeloop.accounts.choices import Role
from closeloop.accounts.models import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Team,
    TeamMember,
    User,
)
from closeloop.core.models import Activity
from closeloop.demo.seed import DEMO_PASSWORD, OWNER_EMAIL, seed_demo

COUNTED = (User, Organization, Membership, Team, TeamMember, Invitation, ApiKey, Activity)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seed_demo_twice_duplicates_nothing(db: None) -> None:
    seed_demo()
    first = _counts()
    seed_demo()

    assert _counts() == first
    assert first["Organization"] == 2
    assert first["ApiKey"] >= 2
    assert first["Activity"] > 10  # the seed goes through the services, which log activity


def test_demo_org_has_every_role_and_two_orgs_for_the_owner(db: None) -> None:
    seed_demo()

    seoul = Organization.objects.get(slug="demo")
    assert (seoul.name, seoul.time_zone) == ("Seoul Bean Roasters", "Asia/Seoul")
    roles = set(Membership.objects.filter(organization=seoul).values_list("role", flat=True))
    assert roles == set(Role.values)
    owner = User.objects.get(email=OWNER_EMAIL)
    assert owner.check_password(DEMO_PASSWORD)
    roles_of_owner = {
        m.organization.slug: m.role for m in owner.memberships.select_related("organization")
    }
    assert roles_of_owner == {"demo": Role.OWNER, "demo-bkk": Role.ADMIN}
    languages = set(
        User.objects.filter(memberships__organization=seoul).values_list("language", flat=True)
    )
    assert {"ko", "th", "en"} <= languages
    assert TeamMember.objects.filter(team__organization=seoul, is_lead=True).exists()
    assert Invitation.objects.filter(organization=seoul, accepted_at__isnull=True).count() == 1
    assert ApiKey.objects.filter(organization=seoul, name="BI dashboard", scope="read").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


def _descendants(root: int) -> set[int]:
    """Live processes under root (children, their children, ...), read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Demo:
    """`closeloop demo` in a subprocess on a free port, with its own data folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "BASE_URL", "EMAIL_URL"}
        }
        environ.update(CLOSELOOP_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "closeloop.cli", "demo", "--port", str(self.port)],
            env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,  # like a terminal session: Ctrl-C goes to the demo process
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(self.process.stdout or []), daemon=True
        )
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_ready(self) -> None:
        # Generous: the first run migrates and seeds two organizations on a shared machine.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and "Press Ctrl-C" not in self.output:
            assert self.process.poll() is None, self.output
            time.sleep(0.3)
        assert "Press Ctrl-C" in self.output, self.output

    def kill_everything(self) -> None:
        """After a failed test: leave nothing running."""
        if self.process.poll() is None:
            for pid in _descendants(self.process.pid):
                os.kill(pid, signal.SIGKILL)
            self.process.kill()
        self.reader.join(timeout=5)


def test_closeloop_demo_serves_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    demo = Demo(tmp_path)
    try:
        demo.wait_until_ready()
        assert _get(f"{demo.url}/healthz") == 200, demo.output
        assert _get(f"{demo.url}/login/") == 200
        assert f"{demo.url}/" in demo.output
        assert OWNER_EMAIL in demo.output and DEMO_PASSWORD in demo.output
        time.sleep(1)  # the worker is up too
        assert demo.process.poll() is None, demo.output
        children = _descendants(demo.process.pid)
        assert len(children) >= 3, children  # granian, its worker process, closeloop worker

        os.killpg(demo.process.pid, signal.SIGINT)  # what Ctrl-C at the terminal does
        assert demo.process.wait(timeout=30) == 0, demo.output
    finally:
        demo.kill_everything()

    assert [pid for pid in children if _alive(pid)] == []
    assert _get(f"{demo.url}/healthz") == 0


def test_closeloop_demo_stops_everything_when_a_child_dies(tmp_path: Path) -> None:
    demo = Demo(tmp_path)
    try:
        demo.wait_until_ready()
        children = _descendants(demo.process.pid)
        worker = next(
            pid
            for pid in children
            if b"closeloop.cli\0worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        )

        os.kill(worker, signal.SIGKILL)

        assert demo.process.wait(timeout=30) == 1
        assert "the worker stopped unexpectedly" in demo.output
    finally:
        demo.kill_everything()
    assert [pid for pid in children if _alive(pid)] == []
