"""The `closeloop` command as an operator uses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from closeloop import cli
from closeloop.accounts.choices import DEFAULT_TEAMS, Role
from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.accounts.services import api_key_authenticate

SUBCOMMANDS = [
    ["demo"], ["serve"], ["worker"], ["migrate"], ["createorg"], ["check"],
    ["apikey"], ["apikey", "create"],
    ["export"], ["export", "responses"], ["text"], ["text", "reenrich"],
    ["analytics"], ["analytics", "rebuild"],
]  # fmt: skip


def run(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BASE_URL"}}
    environ.update(CLOSELOOP_VAR_DIR=str(tmp_path), **variables)
    return subprocess.run(
        [sys.executable, "-m", "closeloop.cli", *args],
        env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")

    assert result.returncode == 0
    for name in ("demo", "serve", "worker", "migrate", "createorg", "check", "apikey", "manage"):
        assert name in result.stdout


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=" ".join)
def test_each_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = run(tmp_path, *command, "--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: closeloop {' '.join(command)}")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["launch"], "invalid choice: 'launch'"),
        ([], "required: COMMAND"),
        (["serve", "--port", "70000"], "port must be between 1 and 65535"),
        (["serve", "--port", "http"], "expected a port number"),
        (["serve", "--workers", "0"], "must be at least 1"),
        (["worker", "--interval", "-1"], "must be more than 0"),
        (["createorg", "--name", "Shop"], "required: --owner-email, --password"),
        (["createorg", "--name", "S", "--owner-email", "a@b.c", "--password", "p", "--time-zone",
          "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["createorg", "--name", "S", "--owner-email", "a@b.c", "--password", "p", "--language",
          "fr"], "invalid choice: 'fr'"),
        (["apikey", "create", "--org", "x", "--scope", "admin"], "invalid choice: 'admin'"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_non_zero_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)

    assert exit_info.value.code == 2
    assert says in capsys.readouterr().err


def test_manage_passes_through_to_django(tmp_path: Path) -> None:
    result = run(tmp_path, "manage", "help", "migrate")

    assert result.returncode == 0
    assert "Updates database schema" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"), [("DATABASE_URL", "mysql://x"), ("TIME_ZONE", "Mars/Base")]
)
def test_configuration_error_exits_2_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run(tmp_path, "migrate", **{variable: value})

    assert result.returncode == 2
    assert result.stderr.startswith(f"closeloop: configuration error: {variable}: ")
    assert "Traceback" not in result.stderr


def test_createorg_prints_the_slug_and_creates_the_org(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([
        "createorg", "--name", "Busan Bakery", "--owner-email", "Owner@Busan.test",
        "--password", "correct-horse-battery-staple", "--time-zone", "Asia/Seoul",
        "--language", "ko",
    ])  # fmt: skip

    slug = capsys.readouterr().out.strip()
    assert code == 0
    assert slug == "busan-bakery"
    org = Organization.objects.get(slug=slug)
    assert (org.name, org.time_zone, org.default_language) == ("Busan Bakery", "Asia/Seoul", "ko")
    owner = Membership.objects.get(organization=org, role=Role.OWNER).user
    assert owner.email == "owner@busan.test"
    assert owner.check_password("correct-horse-battery-staple")
    assert Team.objects.filter(organization=org).count() == len(DEFAULT_TEAMS)


def test_createorg_refuses_a_weak_password(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(
            ["createorg", "--name", "Shop", "--owner-email", "a@shop.test", "--password", "1234"]
        )

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("closeloop: ")
    assert "too short" in captured.err
    assert captured.out == ""
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_createorg_refuses_an_existing_email_unless_asked(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["createorg", "--owner-email", "dup@shop.test", "--password", "correct-horse-battery"]
    cli.main([*args, "--name", "First Shop"])
    capsys.readouterr()

    with pytest.raises(SystemExit) as exit_info:
        cli.main([*args, "--name", "Second Shop"])
    assert exit_info.value.code == 1
    assert "already exists" in capsys.readouterr().err
    assert Organization.objects.count() == 1

    cli.main([*args, "--name", "Second Shop", "--existing-owner"])
    assert capsys.readouterr().out.strip() == "second-shop"
    assert Membership.objects.filter(user__email="dup@shop.test", role=Role.OWNER).count() == 2


def test_apikey_create_prints_a_key_that_authenticates(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["createorg", "--name", "Key Shop", "--owner-email", "k@shop.test",
              "--password", "correct-horse-battery"])  # fmt: skip
    slug = capsys.readouterr().out.strip()

    code = cli.main(["apikey", "create", "--org", slug, "--scope", "write", "--name", "ETL"])

    secret = capsys.readouterr().out.strip()
    assert code == 0
    key = api_key_authenticate(secret=secret)
    assert key is not None
    assert (key.organization.slug, key.scope, key.name) == (slug, "write", "ETL")


def test_apikey_create_for_an_unknown_org(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["apikey", "create", "--org", "nope", "--scope", "read"])

    assert exit_info.value.code == 1
    assert "no organization with the slug 'nope'" in capsys.readouterr().err


def test_check_reports_ok_on_a_migrated_database(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["check"])

    report = capsys.readouterr().out
    assert code == 0, report
    lines = {line.split()[1]: line.split()[0] for line in report.splitlines()}
    assert lines["database"] == "OK"
    assert "OK    migrations          all applied" in report
    assert "FAIL" not in report
    assert "WARN  worker" in report  # no worker has run against the test database


def test_check_fails_when_smtp_is_unreachable(
    db: None, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9},  # nothing listens there
        }
    }

    code = cli.main(["check"])

    report = capsys.readouterr().out
    assert code == 1
    assert "FAIL  email delivery" in report


def test_survey_import_then_export_round_trips(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from closeloop.surveys.models import Survey
    from closeloop.surveys.serialization import dump_definition, load_definition
    from closeloop.surveys.templates_library import get_template

    cli.main(
        [
            "createorg",
            "--name",
            "Survey Shop",
            "--owner-email",
            "s@shop.test",
            "--password",
            "a-long-unusual-passphrase-9",
        ]
    )
    slug = capsys.readouterr().out.strip()
    source = tmp_path / "nps.yaml"
    source.write_text(dump_definition(get_template("nps"), "yaml"), encoding="utf-8")

    assert (
        cli.main(["survey", "import", str(source), "--org", slug, "--name", "Post-purchase"]) == 0
    )
    survey = Survey.objects.get(organization__slug=slug)
    assert survey.name == "Post-purchase"
    capsys.readouterr()

    assert cli.main(["survey", "export", str(survey.id), "--format", "yaml"]) == 0
    exported = capsys.readouterr().out
    document = yaml.safe_load(exported)
    assert document["name"] == "Post-purchase"
    assert load_definition(yaml.safe_dump(document["definition"]), "yaml") == get_template("nps")


def test_survey_import_reports_a_broken_file(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(
        [
            "createorg",
            "--name",
            "Broken Shop",
            "--owner-email",
            "b@shop.test",
            "--password",
            "a-long-unusual-passphrase-9",
        ]
    )
    slug = capsys.readouterr().out.strip()
    source = tmp_path / "broken.yaml"
    source.write_text("pages:\n  - key: p1\n    questions: [\n", encoding="utf-8")
    code = cli.main(["survey", "import", str(source), "--org", slug])
    assert code != 0
    assert "broken.yaml" in capsys.readouterr().err
