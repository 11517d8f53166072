"""Staff pages under /o/<org_slug>/responses/."""

from django.urls import path

from closeloop.responses import views

app_name = "responses"
urlpatterns = [
    path("", views.response_list_view, name="list"),
    path("<uuid:response_id>/", views.response_detail_view, name="detail"),
]
