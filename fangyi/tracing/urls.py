from django.urls import path

from fangyi.tracing import views

app_name = "tracing"

urlpatterns = [
    # Cases, trajectories, contacts and chains (views.py)
    path("cases/", views.case_list, name="cases"),
    path("cases/report/", views.case_report, name="report"),
    path("cases/<uuid:external_id>/", views.case_detail, name="case"),
    path("cases/<uuid:external_id>/classification/", views.case_reclassify, name="reclassify"),
    path("cases/<uuid:external_id>/trajectory/", views.trajectory_add, name="trajectory_add"),
    path("cases/<uuid:external_id>/trajectory/pull/", views.trajectory_pull, name="pull"),
    path("cases/<uuid:external_id>/contacts/new/", views.contact_add, name="contact_add"),
    path("cases/<uuid:external_id>/candidates/", views.candidate_add, name="candidate_add"),
    path("cases/<uuid:external_id>/quarantine/", views.contacts_quarantine, name="quarantine"),
]
