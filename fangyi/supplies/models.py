"""Supplies: the item catalogue, stores, batches, and the stock ledger.

The ledger (`Movement`) is append-only: every receipt, issue, transfer and stocktake adds rows
with a signed quantity, grouped under one `StockOperation`. Stock on hand is the sum of a
store's movements; `StockLevel` caches that sum per store and batch, is changed only by
services.py in the transaction that adds the movements (with `F()`), and a check constraint
keeps it from going below zero whatever the code above it does. `fangyi supplies-reconcile`
compares the cache with the ledger.
"""

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.models import Jurisdiction, TimeStampedModel, User
from fangyi.core.scoping import ScopedQuerySet

QUANTITY = {"max_digits": 14, "decimal_places": 3}


class ItemCategory(models.TextChoices):
    PROTECTION = "protection", _("protection")
    DISINFECTION = "disinfection", _("disinfection")
    DETECTION = "detection", _("detection")
    OTHER = "other", pgettext_lazy("item category", "other")


class Unit(models.TextChoices):
    """The smallest unit an item is counted in. Only litres may be fractional."""

    PIECE = "只", "只"
    STICK = "支", "支"
    SET = "套", "套"
    LITRE = "升", "升"
    BOTTLE = "瓶", "瓶"
    ONE = "个", "个"
    PAIR = "副", "副"
    BOX = "盒", "盒"


FRACTIONAL_UNITS = frozenset({Unit.LITRE})


class Item(TimeStampedModel):
    """An item of the county's catalogue (口罩 N95, 84消毒液 500ml...), counted in `unit`."""

    name = models.CharField(pgettext_lazy("item", "name"), max_length=60)
    category = models.CharField(
        pgettext_lazy("item", "category"), max_length=20, choices=ItemCategory.choices
    )
    specification = models.CharField(_("specification"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    warning_threshold = models.DecimalField(
        _("warning threshold"),
        **QUANTITY,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("a store holding less than this is warned"),
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["category", "name", "specification"]
        constraints = [
            models.UniqueConstraint(fields=["name", "specification"], name="item_name_spec")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.specification}".strip()

    @property
    def countable(self) -> bool:
        return self.unit not in FRACTIONAL_UNITS


class StoreKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("town warehouse")
    VILLAGE = "village", _("village store")
    CHECKPOINT = "checkpoint", _("checkpoint")


class StoreQuerySet(ScopedQuerySet):
    scope_permission = "supplies.view_store"


class Store(TimeStampedModel):
    """Where stock is kept: the town warehouse, a village store, or a checkpoint that uses it."""

    name = models.CharField(pgettext_lazy("store", "name"), max_length=60)
    kind = models.CharField(
        pgettext_lazy("store", "kind"), max_length=12, choices=StoreKind.choices
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("town / village"), on_delete=models.PROTECT, related_name="+"
    )
    checkpoint = models.OneToOneField(
        Checkpoint,
        verbose_name=_("checkpoint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="store",
    )
    keeper = models.CharField(_("keeper"), max_length=50, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    objects = StoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["jurisdiction", "kind", "name"]
        permissions = [
            ("receive_stock", "Can receive stock into a store"),
            ("issue_stock", "Can issue stock for use and transfer it"),
            ("adjust_stock", "Can record a stocktake adjustment"),
            ("export_stock", "Can export the stock ledger"),
        ]
        indexes = [models.Index(fields=["jurisdiction", "kind"], name="store_scope")]

    def __str__(self) -> str:
        return self.name

    @property
    def town_code(self) -> str:
        return self.jurisdiction_id[:9]


class Source(models.TextChoices):
    ALLOCATED = "allocated", _("allocated from above")
    BOUGHT = "bought", _("bought")
    DONATED = "donated", _("donated")


class Batch(models.Model):
    """A lot of one item as it was received; its stock may later sit in several stores."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT)
    number = models.CharField(_("batch number"), max_length=40, blank=True)
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)
    maker = models.CharField(_("maker"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    donation = models.ForeignKey(
        "Donation",
        verbose_name=_("donation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["item", "expires_on", "pk"]

    def __str__(self) -> str:
        return f"{self.item} {self.number}".strip()


class StockLevelQuerySet(ScopedQuerySet):
    scope_permission = "supplies.view_store"


class StockLevel(models.Model):
    """The cached stock of one batch in one store (the sum of its movements)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="levels")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="levels")
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=Decimal(0))

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["store", "batch"], name="stock_store_batch"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "store", "item"], name="stock_scope"),
            models.Index(fields=["store", "item"], name="stock_store_item"),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.batch}: {self.quantity}"


class OperationKind(models.TextChoices):
    RECEIVE = "receive", _("stock in")
    ISSUE = "issue", _("issued for use")
    TRANSFER = "transfer", _("transfer")
    ADJUST = "adjust", _("stocktake adjustment")


class OperationQuerySet(ScopedQuerySet):
    scope_permission = "supplies.view_store"


class StockOperation(models.Model):
    """One act on the stock (a receipt, an issue, a transfer, a stocktake) and who did it.

    Its movements say what changed in which store; an operation is never changed or deleted.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=OperationKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="operations"
    )
    to_store = models.ForeignKey(
        Store,
        verbose_name=_("to store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations_in",
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, blank=True)
    recipient = models.CharField(
        _("issued to"), max_length=100, blank=True, help_text=_("a team or a person")
    )
    reason = models.CharField(pgettext_lazy("stock", "reason"), max_length=200, blank=True)
    requisition = models.ForeignKey(
        "Requisition",
        verbose_name=_("requisition"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations",
    )
    donation = models.ForeignKey(
        "Donation",
        verbose_name=_("donation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations",
    )
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(_("by"), max_length=150)

    objects = OperationQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock operation")
        verbose_name_plural = _("stock operations")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["jurisdiction", "at"], name="operation_scope")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.store} {self.at:%Y-%m-%d %H:%M}"


class MovementQuerySet(ScopedQuerySet):
    scope_permission = "supplies.view_store"


class Movement(models.Model):
    """One signed change of one batch in one store: the ledger stock on hand is summed from."""

    operation = models.ForeignKey(
        StockOperation, on_delete=models.PROTECT, related_name="movements"
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", db_index=False)
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="movements")
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    at = models.DateTimeField(_("time"))

    objects = MovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["store", "item", "at"], name="movement_store_item"),
            models.Index(fields=["jurisdiction", "at"], name="movement_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.batch_id} {self.quantity:+}"


class RequisitionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    ISSUED = "issued", _("issued")
    RECEIVED = "received", pgettext_lazy("requisition", "received")
    CANCELLED = "cancelled", _("withdrawn")


OPEN_REQUISITION = (RequisitionStatus.SUBMITTED, RequisitionStatus.APPROVED)


class RequisitionQuerySet(ScopedQuerySet):
    """A village's user reads their own stores' requisitions; the town reads all of them."""

    jurisdiction_field = "store__jurisdiction"
    scope_permission = "supplies.view_requisition"


class Requisition(TimeStampedModel):
    """A village or checkpoint asks the town for items; the town approves (fully or partly),
    issues from its warehouse into the asking store, and the asking store confirms receipt."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    store = models.ForeignKey(
        Store, verbose_name=_("for store"), on_delete=models.PROTECT, related_name="requisitions"
    )
    from_store = models.ForeignKey(
        Store,
        verbose_name=_("issued from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requisitions_served",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RequisitionStatus.choices,
        default=RequisitionStatus.SUBMITTED,
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    requested_by = models.ForeignKey(
        User, verbose_name=_("asked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        User, verbose_name=_("received by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RequisitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_requisition", "Can approve and issue requisitions")]
        indexes = [models.Index(fields=["status", "created_at"], name="requisition_status")]

    def __str__(self) -> str:
        return f"{self.store} {self.created_at:%m-%d} {self.get_status_display()}"


class RequisitionLine(models.Model):
    requisition = models.ForeignKey(Requisition, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT)
    requested = models.DecimalField(_("asked for"), **QUANTITY)
    approved = models.DecimalField(_("approved"), **QUANTITY, null=True, blank=True)
    issued = models.DecimalField(_("issued"), **QUANTITY, default=Decimal(0))

    class Meta:
        verbose_name = _("requisition line")
        verbose_name_plural = _("requisition lines")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["requisition", "item"], name="requisition_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.requested}"


class DonorKind(models.TextChoices):
    PERSON = "person", pgettext_lazy("donor", "person")
    COMPANY = "company", _("company or organisation")


class DonationQuerySet(ScopedQuerySet):
    jurisdiction_field = "store__jurisdiction"
    scope_permission = "supplies.view_donation"


class Donation(TimeStampedModel):
    """A gift of items (received as batches into a store) and/or money, with its donor.

    The donor's contact is kept for the receipt only; the public thank-you list shows the name
    (or 爱心人士 when the donor asked not to be named), the items and the quantities.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt_number = models.CharField(_("receipt number"), max_length=20, unique=True)
    donor_name = models.CharField(_("donor"), max_length=100)
    donor_kind = models.CharField(_("donor is a"), max_length=10, choices=DonorKind.choices)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone_cipher = models.BinaryField(null=True, editable=False)
    anonymous = models.BooleanField(
        _("not named in public"), default=False, help_text=_("shown as 爱心人士 on the public list")
    )
    money = models.DecimalField(
        _("money (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    store = models.ForeignKey(
        Store, verbose_name=_("received into"), on_delete=models.PROTECT, related_name="donations"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        User, verbose_name=_("received by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DonationQuerySet.as_manager()

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.donor_name}"

    @property
    def public_name(self) -> str:
        return "爱心人士" if self.anonymous else self.donor_name
