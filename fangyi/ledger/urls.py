from django.urls import path

from fangyi.ledger import export_views, pushlist_views, views

app_name = "ledger"

urlpatterns = [
    # The ledger and its entries (views.py)
    path("", views.entry_list, name="entries"),
    path("results/", views.entry_results, name="entry_results"),
    path("bulk/", views.entry_bulk, name="entry_bulk"),
    path("new/<uuid:person_id>/", views.entry_create, name="entry_create"),
    path("entry/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("entry/<uuid:entry_id>/edit/", views.entry_edit, name="entry_edit"),
    path("person/<uuid:person_id>/", views.person_entries, name="person_entries"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/verify/", views.task_verify, name="task_verify"),
    # Push lists (pushlist_views.py)
    path("push-lists/", pushlist_views.pushlist_list, name="pushlists"),
    path("push-lists/upload/", pushlist_views.pushlist_upload, name="pushlist_upload"),
    path("push-lists/<uuid:push_list_id>/", pushlist_views.pushlist_detail, name="pushlist_detail"),
    path(
        "push-lists/<uuid:push_list_id>/mapping/",
        pushlist_views.pushlist_mapping,
        name="pushlist_mapping",
    ),
    path(
        "push-lists/<uuid:push_list_id>/progress/",
        pushlist_views.pushlist_progress,
        name="pushlist_progress",
    ),
    path(
        "push-lists/<uuid:push_list_id>/restart/",
        pushlist_views.pushlist_restart,
        name="pushlist_restart",
    ),
    path(
        "push-lists/<uuid:push_list_id>/errors.xlsx",
        pushlist_views.pushlist_error_sheet,
        name="pushlist_error_sheet",
    ),
    # Downloads (export_views.py)
    path("export.xlsx", export_views.ledger_export, name="export"),
    path(
        "push-lists/<uuid:push_list_id>/feedback.xlsx",
        export_views.pushlist_feedback,
        name="pushlist_feedback",
    ),
]
