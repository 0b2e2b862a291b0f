"""Test-data builders for the roster app, shared by its tests."""

from dataclasses import dataclass, field
from datetime import date

from fangyi.checkpoints.models import Checkpoint, CheckpointKind
from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, User
from fangyi.roster import services
from fangyi.roster.models import CheckpointDemand, DutyRole, Roster, StaffMember

SYSTEM = Actor.system("test")


def make_demand(
    checkpoint: Checkpoint,
    *,
    shift_hours: int = 8,
    people_per_shift: int = 2,
    role_minimums: dict | None = None,
    night_role_minimums: dict | None = None,
    first_shift_hour: int = 0,
) -> CheckpointDemand:
    return services.set_demand(
        SYSTEM,
        checkpoint,
        shift_hours=shift_hours,
        people_per_shift=people_per_shift,
        first_shift_hour=first_shift_hour,
        role_minimums=role_minimums or {},
        night_role_minimums=night_role_minimums or {},
    )


def make_staff_member(
    jurisdiction: Jurisdiction,
    name: str,
    role: str = DutyRole.CADRE,
    *,
    user: User | None = None,
    **values,
) -> StaffMember:
    return services.create_staff(
        SYSTEM, name=name, role=role, jurisdiction=jurisdiction, user=user, **values
    )


@dataclass
class SmallTown:
    """Two checkpoints with demand and a pool that covers them: the entrance needs a police
    officer and a cadre on each of three 8-hour shifts a day, the village gate two people."""

    town: Jurisdiction
    village: Jurisdiction
    entrance: Checkpoint
    gate: Checkpoint
    staff: list[StaffMember] = field(default_factory=list)

    def roster(self, starts_on: date, days: int = 7, **values) -> Roster:
        return services.create_roster(
            SYSTEM, town=self.town, starts_on=starts_on, days=days, **values
        )


_NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def make_small_town(town: Jurisdiction, village: Jurisdiction) -> SmallTown:
    entrance = make_checkpoint(town, "青山镇东入口", CheckpointKind.TOWN_ENTRANCE)
    gate = make_checkpoint(village, "东村村口", CheckpointKind.VILLAGE_ENTRANCE)
    make_demand(entrance, people_per_shift=2, role_minimums={"police": 1, "cadre": 1})
    make_demand(gate, people_per_shift=2, role_minimums={"village_cadre": 1})
    setup = SmallTown(town, village, entrance, gate)
    mix = [
        (town, DutyRole.POLICE, 5),
        (town, DutyRole.CADRE, 5),
        (village, DutyRole.VILLAGE_CADRE, 5),
        (village, DutyRole.VOLUNTEER, 4),
    ]
    number = 0
    for place, role, count in mix:
        for _k in range(count):
            name = f"{_NAMES[number]}{'建国' if number % 2 else '秀英'}"
            setup.staff.append(make_staff_member(place, name, role))
            number += 1
    return setup
