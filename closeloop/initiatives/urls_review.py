"""URLs of the customer advocacy review, under /o/<org_slug>/advocacy-review/."""

from django.urls import URLPattern, path

from closeloop.initiatives import views_review

app_name = "review"
urlpatterns: list[URLPattern] = [
    path("", views_review.review_page, name="page"),
    path("decisions/", views_review.decision_create, name="decision_create"),
    path("settings/", views_review.review_settings, name="settings"),
    path("settings/send-digest/", views_review.digest_send_now, name="digest_send"),
]
