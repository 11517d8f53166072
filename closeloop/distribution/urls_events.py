"""Pages of event-triggered surveys and frequency rules, mounted at /o/<org_slug>/events/."""

from django.urls import path

from closeloop.distribution import views_events as views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("<uuid:event_id>/", views.event_detail, name="detail"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<uuid:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<uuid:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("frequency/", views.frequency, name="frequency"),
    path("frequency/survey/", views.frequency_choose, name="frequency_choose"),
    path("frequency/<uuid:survey_id>/", views.frequency_survey, name="frequency_survey"),
    path(
        "frequency/<uuid:survey_id>/remove/",
        views.frequency_survey_remove,
        name="frequency_survey_remove",
    ),
]
