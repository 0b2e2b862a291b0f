"""Admin for supplies: read-only. The catalogue, stores, stock, requisitions and donations change
only through the pages, the API and the CLI: the services check the quantities, lock the stock
and keep the ledger append-only (a movement, an operation or a cached stock level is never
edited or deleted, here or anywhere). Donors' phones are never decrypted here."""

from django.contrib import admin

from fangyi.core.admin import ReadOnlyAdmin
from fangyi.supplies.models import (
    Batch,
    Donation,
    Item,
    Movement,
    Requisition,
    RequisitionLine,
    StockLevel,
    StockOperation,
    Store,
)


class _ReadOnly:
    """For the county's catalogue and its batches, which have no jurisdiction to scope by."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(_ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Item)
class ItemAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("name", "specification", "category", "unit", "warning_threshold", "active")
    list_filter = ("category", "unit", "active")
    search_fields = ("name", "specification")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supplies.view_store")  # the county's catalogue


@admin.register(Store)
class StoreAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "jurisdiction", "checkpoint", "keeper", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "keeper")
    list_select_related = ("jurisdiction", "checkpoint")


@admin.register(Batch)
class BatchAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("item", "number", "expires_on", "maker", "source", "donation", "received_at")
    list_filter = ("source", "item__category")
    search_fields = ("number", "maker", "item__name")
    list_select_related = ("item", "donation")
    date_hierarchy = "received_at"

    def get_queryset(self, request):
        """Batches held or once held by a store the user may see."""
        stores = Store.objects.visible_to(request.user)
        held = Movement.objects.filter(store__in=stores).values("batch_id")
        return super().get_queryset(request).filter(pk__in=held)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supplies.view_store")  # batches come with the stores


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("store", "item", "batch", "quantity")
    list_filter = ("item__category",)
    search_fields = ("store__name", "item__name", "batch__number")
    list_select_related = ("store", "item", "batch__item")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supplies.view_store")


class MovementInline(ReadOnlyInline):
    model = Movement
    fields = ("at", "store", "item", "batch", "quantity")


@admin.register(StockOperation)
class StockOperationAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "kind",
        "store",
        "to_store",
        "source",
        "recipient",
        "reason",
        "requisition",
        "donation",
        "actor_username",
    )
    list_filter = ("kind", "source")
    search_fields = ("store__name", "recipient", "reason", "actor_username")
    list_select_related = ("store", "to_store", "requisition__store", "donation")
    date_hierarchy = "at"
    exclude = ("actor",)
    inlines = [MovementInline]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supplies.view_store")


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ("at", "operation_kind", "store", "item", "batch", "quantity")
    list_filter = ("operation__kind", "item__category")
    search_fields = ("store__name", "item__name", "batch__number")
    list_select_related = ("operation", "store", "item", "batch__item")
    date_hierarchy = "at"

    @admin.display(description=StockOperation._meta.get_field("kind").verbose_name)
    def operation_kind(self, movement: Movement) -> str:
        return movement.operation.get_kind_display()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supplies.view_store")


class RequisitionLineInline(ReadOnlyInline):
    model = RequisitionLine
    fields = ("item", "requested", "approved", "issued")


@admin.register(Requisition)
class RequisitionAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "store",
        "status",
        "purpose",
        "needed_by",
        "from_store",
        "decided_at",
        "issued_at",
        "received_at",
    )
    list_filter = ("status",)
    search_fields = ("store__name", "purpose")
    list_select_related = ("store", "from_store")
    date_hierarchy = "created_at"
    exclude = ("requested_by", "decided_by", "received_by")
    inlines = [RequisitionLineInline]


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = (
        "receipt_number",
        "received_at",
        "donor_name",
        "donor_kind",
        "anonymous",
        "money",
        "store",
    )
    list_filter = ("donor_kind", "anonymous")
    search_fields = ("receipt_number", "donor_name")
    list_select_related = ("store",)
    date_hierarchy = "received_at"
    # The contact's phone is encrypted and stays so; the contact's name is for the receipt.
    exclude = ("contact_phone_cipher", "received_by")
