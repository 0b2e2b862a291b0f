from django.urls import path

from fangyi.enterprises import filing_views, review_views, views

app_name = "enterprises"

urlpatterns = [
    # Enterprises, filings, the company's filing page, the town's review queue, counts (views.py)
    path("", filing_views.mine, name="mine"),
    path("roster-template.xlsx", filing_views.roster_template, name="roster_template"),
    path("list/", views.enterprise_list, name="enterprises"),
    path("new/", views.enterprise_new, name="enterprise_new"),
    path("counts/", views.counts, name="counts"),
    path("queue/", review_views.queue, name="queue"),
    path("<uuid:external_id>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("<uuid:external_id>/file/", filing_views.start_filing, name="start_filing"),
    path("filings/<uuid:external_id>/", filing_views.filing_detail, name="filing"),
    path("filings/<uuid:external_id>/save/", filing_views.filing_save, name="filing_save"),
    path("filings/<uuid:external_id>/plan/", filing_views.filing_plan, name="filing_plan"),
    path("filings/<uuid:external_id>/plan/file/", filing_views.plan_file, name="plan_file"),
    path("filings/<uuid:external_id>/roster/", filing_views.filing_roster, name="filing_roster"),
    path("filings/<uuid:external_id>/submit/", filing_views.filing_submit, name="filing_submit"),
    path(
        "filings/<uuid:external_id>/reopened/",
        filing_views.filing_reopened,
        name="filing_reopened",
    ),
    path(
        "filings/<uuid:external_id>/temperatures/",
        filing_views.filing_temperatures,
        name="filing_temperatures",
    ),
    path("filings/<uuid:external_id>/review/", review_views.review, name="review"),
    path("filings/<uuid:external_id>/inspect/", review_views.inspect, name="inspect"),
    path("filings/<uuid:external_id>/decide/", review_views.decide, name="decide"),
    path(
        "filings/<uuid:external_id>/employees/<int:pk>/reveal/<str:field>/",
        review_views.employee_reveal,
        name="employee_reveal",
    ),
]
