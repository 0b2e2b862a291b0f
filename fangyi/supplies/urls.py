from django.urls import path

from fangyi.supplies import donation_views, public_views, requisition_views, stock_views

app_name = "supplies"

urlpatterns = [
    # Stock by store and item, store detail, movements, receive/issue/transfer/stocktake,
    # requisitions, the stock ledger export (stock_views.py, requisition_views.py)
    path("", stock_views.stock_overview, name="stock"),
    path("stores/", stock_views.store_list, name="stores"),
    path("stores/new/", stock_views.store_create, name="store_create"),
    path("stores/<int:pk>/", stock_views.store_detail, name="store"),
    path("stores/<int:pk>/edit/", stock_views.store_edit, name="store_edit"),
    path("stores/<int:pk>/receive/", stock_views.receive, name="receive"),
    path("stores/<int:pk>/issue/", stock_views.issue, name="issue"),
    path("stores/<int:pk>/transfer/", stock_views.transfer, name="transfer"),
    path("stores/<int:pk>/stocktake/", stock_views.stocktake, name="stocktake"),
    path("items/", stock_views.item_list, name="items"),
    path("items/new/", stock_views.item_create, name="item_create"),
    path("items/<int:pk>/edit/", stock_views.item_edit, name="item_edit"),
    path("ledger.xlsx", stock_views.ledger_export, name="ledger_export"),
    path("requisitions/", requisition_views.requisition_list, name="requisitions"),
    path("requisitions/new/", requisition_views.requisition_new, name="requisition_new"),
    path("requisitions/<int:pk>/", requisition_views.requisition_detail, name="requisition"),
    path(
        "requisitions/<int:pk>/decide/",
        requisition_views.requisition_decide,
        name="requisition_decide",
    ),
    path(
        "requisitions/<int:pk>/issue/",
        requisition_views.requisition_issue,
        name="requisition_issue",
    ),
    path(
        "requisitions/<int:pk>/confirm/",
        requisition_views.requisition_confirm,
        name="requisition_confirm",
    ),
    path(
        "requisitions/<int:pk>/withdraw/",
        requisition_views.requisition_withdraw,
        name="requisition_withdraw",
    ),
    # Donations: register, receive, receipt PDF; public thank-you list and where it went
    # (donation_views.py)
    path("donations/", donation_views.donation_list, name="donations"),
    path("donations/new/", donation_views.donation_create, name="donation_new"),
    path("donations/<uuid:external_id>/", donation_views.donation_detail, name="donation"),
    path(
        "donations/<uuid:external_id>/receipt.pdf",
        donation_views.donation_receipt,
        name="donation_receipt",
    ),
    path("public/<str:town>/thanks/", public_views.public_thanks, name="public_thanks"),
    path(
        "public/donation/<uuid:external_id>/",
        public_views.public_donation,
        name="public_donation",
    ),
]
