from django.urls import path

from fangyi.roster import duty_views, export_views, staff_views, views

app_name = "roster"

urlpatterns = [
    # Rosters: list, create, week grids, hand edits, solve, publish, history (views.py)
    path("", views.roster_list, name="rosters"),
    path("new/", views.roster_create, name="roster_create"),
    path("<int:pk>/", views.roster_detail, name="roster"),
    path("<int:pk>/progress/", views.roster_progress, name="roster_progress"),
    path("<int:pk>/solve/", views.roster_solve, name="roster_solve"),
    path("<int:pk>/publish/", views.roster_publish, name="roster_publish"),
    path("shift/<int:pk>/", views.shift_detail, name="shift"),
    path("shift/<int:pk>/check/", views.shift_check, name="shift_check"),
    path("shift/<int:pk>/assign/", views.shift_assign, name="shift_assign"),
    path("assignment/<int:pk>/remove/", views.assignment_remove, name="assignment_remove"),
    path("assignment/<int:pk>/lock/", views.assignment_lock, name="assignment_lock"),
    # Staff pool, groups, unavailability, checkpoint demand (staff_views.py)
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/groups/", staff_views.group_list, name="groups"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff"),
    path("staff/<int:pk>/edit/", staff_views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/remove/", staff_views.staff_remove, name="staff_remove"),
    path("staff/<int:pk>/unavailable/", staff_views.staff_unavailable, name="staff_unavailable"),
    path("demand/", staff_views.demand_list, name="demand"),
    path("demand/<int:pk>/", staff_views.demand_edit, name="demand_edit"),
    # My shifts, check-in/out, swap requests and their approval, hours worked (duty_views.py)
    path("mine/", duty_views.my_shifts, name="mine"),
    path("mine/<int:pk>/check-in/", duty_views.check_in, name="check_in"),
    path("mine/<int:pk>/check-out/", duty_views.check_out, name="check_out"),
    path("mine/<int:pk>/swap/", duty_views.swap_request, name="swap_request"),
    path("mine/swaps/<int:pk>/withdraw/", duty_views.swap_withdraw, name="swap_withdraw"),
    path("swaps/", duty_views.swap_list, name="swaps"),
    path("swaps/<int:pk>/decide/", duty_views.swap_decide, name="swap_decide"),
    path("hours/", duty_views.hours, name="hours"),
    # Exports: .xlsx and PDF (export_views.py)
    path("<int:pk>/export.xlsx", export_views.roster_export_xlsx, name="export_xlsx"),
    path("<int:pk>/export.pdf", export_views.roster_export_pdf, name="export_pdf"),
]
