from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    ANALYST = "analyst", _("Analyst")
    AGENT = "agent", _("Agent")
    VIEWER = "viewer", _("Viewer")


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


DEFAULT_TEAMS = [
    ("customer-experience", _("Customer experience")),
    ("ui-design", _("UI design")),
    ("sales", _("Sales")),
    ("marketing", _("Marketing")),
    ("support", _("Support")),
    ("branding", _("Branding")),
    ("tech", _("Tech")),
    ("product", _("Product")),
    ("client-success", _("Client success")),
]
