from django.urls import path

from fangyi.roster import duty_views, export_views, staff_views, views

app_name = "roster"

urlpatterns = [
    # Rosters: list, create, week grids, hand edits, solve, publish, history (views.py)
    # Staff pool, groups, unavailability, checkpoint demand (staff_views.py)
    # My shifts, check-in/out, swap requests and their approval, hours worked (duty_views.py)
    # Exports: .xlsx and PDF (export_views.py)
]
