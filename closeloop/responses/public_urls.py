"""The public survey page at /s/<token>/ (anonymous link token or personal link token)."""

from django.urls import path

from closeloop.responses import public_views

app_name = "responses_public"
urlpatterns = [
    path("s/<str:token>/", public_views.survey_page, name="survey"),
]
