from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "closeloop.analytics"
    label = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Responses mark their days dirty for the rollups (response.started/completed/imported).
        from closeloop.accounts.setup import register_org_setup
        from closeloop.analytics import handlers  # noqa: F401
        from closeloop.analytics.services import rollup_state_init

        # A new organization has no answers: its rollups are complete from the first day.
        register_org_setup(lambda org: rollup_state_init(organization=org))

        # Exports: an erased contact (GDPR) leaves the finished export files; a deleted export
        # (its survey deleted) takes its file with it.
        from closeloop.analytics.exports import hooks as export_hooks

        export_hooks.connect()
