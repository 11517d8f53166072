from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    LINK = "link", _("Web link")
    EMAIL = "email", _("Email")
    WIDGET = "widget", _("Website widget")
    QR = "qr", _("QR code")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class ResponseStatus(models.TextChoices):
    PARTIAL = "partial", _("Partial")
    COMPLETE = "complete", _("Complete")
