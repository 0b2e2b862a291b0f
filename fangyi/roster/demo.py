"""The roster's part of the demo county (`fangyi seed-demo`): filled in below."""

from fangyi.core.demo import DemoContext, DemoStep


def seed_roster(ctx: DemoContext) -> None:
    pass


def reset_roster() -> int:
    return 0


ROSTER_STEP = DemoStep("roster", seed_roster, reset_roster)
