"""Staff pages under /o/<org_slug>/automation/."""

from django.urls import path

from closeloop.automation import views

app_name = "automation"
urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_new, name="new"),
    path("preview/", views.rule_preview, name="preview"),
    path("condition-row/", views.condition_row, name="condition_row"),
    path("action-row/", views.action_row, name="action_row"),
    path("runs/", views.run_list, name="runs"),
    path("<uuid:automation_rule_id>/", views.rule_edit, name="edit"),
    path("<uuid:automation_rule_id>/delete/", views.rule_delete, name="delete"),
    path("<uuid:automation_rule_id>/move/", views.rule_move, name="move"),
    path("<uuid:automation_rule_id>/toggle/", views.rule_toggle, name="toggle"),
]
