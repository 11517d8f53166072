"""Public widget URLs: the script and its JSON endpoints (mounted at the site root)."""

from django.urls import path

from closeloop.distribution import views_widget_public as views

app_name = "widget_public"
urlpatterns = [
    path("widget.js", views.widget_js, name="script"),
    path("widget/api/<str:key>/config", views.config, name="config"),
    path("widget/api/<str:key>/identify", views.identify, name="identify"),
    path("widget/api/<str:key>/shown", views.shown, name="shown"),
    path("widget/api/<str:key>/dismissed", views.dismissed, name="dismissed"),
    path("widget/api/<str:key>/responses", views.responses, name="responses"),
]
