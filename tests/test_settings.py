"""A bad value in the environment stops start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from closeloop import env


def _start(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BASE_URL"}}
    environ.update(CLOSELOOP_VAR_DIR=str(tmp_path), **variables)
    return subprocess.run(
        [sys.executable, "-m", "closeloop.cli", "check"],
        env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DEBUG", "maybe", "expected true or false"),
        ("TIME_ZONE", "Mars/Base", "unknown time zone"),
        ("DATABASE_URL", "mysql://x", "unsupported database"),
        ("EMAIL_URL", "carrier-pigeon://coop", "unknown scheme"),
        ("EMAIL_URL", "smtp://", "needs a host"),
        ("BASE_URL", "cx.example.com", "expected an http(s) URL"),
        ("SECRET_KEY", "too-short", "at least 32 characters"),
        ("WORKER_STALE_SECONDS", "soon", "whole number"),
        ("CACHE_URL", "memcached://x", "unsupported cache"),
        ("CACHE_URL", "redis://", "needs a host"),
    ],
)
def test_bad_variable_stops_startup_naming_it(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    result = _start(tmp_path, **{variable: value})

    assert result.returncode == 2
    assert result.stderr.startswith(f"closeloop: configuration error: {variable}: ")
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_good_environment_starts(tmp_path: Path) -> None:
    result = _start(
        tmp_path,
        DEBUG="false",
        TIME_ZONE="Asia/Bangkok",
        BASE_URL="https://cx.example.com/",
        EMAIL_URL="console://",
        SECRET_KEY="x" * 40,
    )

    assert "configuration error" not in result.stderr
    assert "Asia/Bangkok" in result.stdout
    assert "https://cx.example.com" in result.stdout
    assert "x" * 40 not in result.stdout  # the secret is masked


def test_smtp_url_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_URL", "smtp+tls://mailer%40shop.test:s3cret@mail.shop.test")

    config = env.get_email("EMAIL_URL", "mailbox://")

    assert (config.host, config.port, config.user, config.password) == (
        "mail.shop.test", 587, "mailer@shop.test", "s3cret",
    )  # fmt: skip
    assert config.use_tls and not config.use_ssl


def test_empty_variable_means_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "  ")

    assert env.get_bool("DEBUG", False) is False
