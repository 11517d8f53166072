"""Public tracking of invitation emails: the open pixel at /t/o/<token>.gif."""

from django.urls import path

from closeloop.distribution import views_campaigns

app_name = "tracking"
urlpatterns = [
    path("t/o/<str:token>.gif", views_campaigns.open_pixel, name="open"),
]
