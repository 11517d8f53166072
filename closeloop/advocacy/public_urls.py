"""The public review-link redirect: /r/<token>/ records a click and goes to the review site."""

from django.urls import path

from closeloop.advocacy import views

app_name = "advocacy_public"
urlpatterns = [
    path("r/<str:token>/", views.review_click, name="click"),
]
