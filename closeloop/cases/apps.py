from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "closeloop.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Activity verb labels and the outbox hook for replies.
        from closeloop.accounts.setup import register_org_setup
        from closeloop.cases import handlers  # noqa: F401
        from closeloop.cases.config import case_defaults_ensure

        # Root causes, business hours and the Support SLA exist from the first day.
        register_org_setup(lambda org: case_defaults_ensure(organization=org))
