from django.urls import path

from fangyi.volunteers import household_views, views

app_name = "volunteers"

urlpatterns = [
    # Volunteers, teams, service requests, my tasks, the town's summary (views.py)
    path("", views.volunteer_list, name="volunteers"),
    path("new/", views.volunteer_create, name="volunteer_create"),
    path("<int:pk>/edit/", views.volunteer_edit, name="volunteer_edit"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/leader/", views.team_leader, name="team_leader"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<uuid:external_id>/", views.request_detail, name="request"),
    path("requests/<uuid:external_id>/phone/", views.request_phone, name="request_phone"),
    path("requests/<uuid:external_id>/photo/", views.request_photo, name="request_photo"),
    path("requests/<uuid:external_id>/dispatch/", views.request_dispatch, name="dispatch"),
    path("requests/<uuid:external_id>/confirm/", views.request_confirm, name="confirm"),
    path("requests/<uuid:external_id>/cancel/", views.request_cancel, name="cancel"),
    path("mine/", views.my_tasks, name="mine"),
    path("mine/<uuid:external_id>/accept/", views.task_accept, name="accept"),
    path("mine/<uuid:external_id>/done/", views.task_done, name="done"),
    path("summary/", views.summary, name="summary"),
    # The household's own link: ask for help, confirm a delivery (household_views.py)
    path("household/<str:token>/", household_views.household, name="household"),
    path(
        "household/<str:token>/<uuid:external_id>/received/",
        household_views.household_confirm,
        name="household_confirm",
    ),
]
