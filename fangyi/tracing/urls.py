from django.urls import path

from fangyi.tracing import views

app_name = "tracing"

urlpatterns = [
    # Cases, trajectories, contacts and chains (views.py)
    path("cases/<uuid:external_id>/", views.case_detail, name="case"),
]
