"""Admin for the command post: read-only. Rollups are written only by `refresh_rollups`, and
briefings only through their pages, the CLI and the morning sweep (a published one is frozen)."""

from django.contrib import admin

from fangyi.command.models import Briefing, DailyFigure, RollupRun
from fangyi.core.admin import ReadOnlyAdmin


@admin.register(DailyFigure)
class DailyFigureAdmin(ReadOnlyAdmin):
    list_display = ("day", "jurisdiction", "metric", "value")
    list_filter = ("metric",)
    search_fields = ("jurisdiction__code", "jurisdiction__name", "metric")
    list_select_related = ("jurisdiction",)
    date_hierarchy = "day"


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "first_day", "last_day", "cells", "seconds")


@admin.register(Briefing)
class BriefingAdmin(ReadOnlyAdmin):
    list_display = ("day", "jurisdiction", "status", "generated_at", "published_at", "published_by")
    list_filter = ("status",)
    search_fields = ("jurisdiction__code", "jurisdiction__name")
    list_select_related = ("jurisdiction", "published_by")
