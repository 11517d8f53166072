"""Analytics models, one module per area; every model is imported here so Django finds it."""

from closeloop.analytics.models.alerts import *  # noqa: F403
from closeloop.analytics.models.dashboards import *  # noqa: F403
from closeloop.analytics.models.exports import *  # noqa: F403
from closeloop.analytics.models.rollups import *  # noqa: F403
