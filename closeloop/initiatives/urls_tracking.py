"""Public tracking of announcement emails: the open pixel at /t/a/<token>.gif."""

from django.urls import path

from closeloop.initiatives import views_announcements

app_name = "announce_tracking"
urlpatterns = [
    path("t/a/<str:token>.gif", views_announcements.open_pixel, name="open"),
]
