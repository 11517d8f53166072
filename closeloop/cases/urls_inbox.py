from django.urls import path

from closeloop.cases.views import inbox

app_name = "inbox"
urlpatterns = [
    path("", inbox.inbox_list, name="list"),
    path("<uuid:team_id>/", inbox.inbox_team, name="team"),
    path("<uuid:team_id>/tags/", inbox.inbox_team_tags, name="tags"),
]
