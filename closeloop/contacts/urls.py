from django.urls import path

from closeloop.contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_new, name="new"),
    path("attributes/", views.attribute_list, name="attributes"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/count/", views.segment_count, name="segment_count"),
    path("segments/<uuid:segment_id>/", views.segment_edit, name="segment"),
    path("imports/", views.import_list, name="imports"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<uuid:import_id>/", views.import_detail, name="import"),
    path("imports/<uuid:import_id>/map/", views.import_map, name="import_map"),
    path("imports/<uuid:import_id>/rejected.csv", views.import_rejected, name="import_rejected"),
    path("<uuid:contact_id>/", views.contact_detail, name="detail"),
    path("<uuid:contact_id>/edit/", views.contact_edit, name="edit"),
    path("<uuid:contact_id>/unsubscribe/", views.contact_unsubscribe, name="unsubscribe"),
    path("<uuid:contact_id>/resubscribe/", views.contact_resubscribe, name="resubscribe"),
    path("<uuid:contact_id>/export/", views.contact_export, name="export"),
    path("<uuid:contact_id>/erase/", views.contact_erase, name="erase"),
]
