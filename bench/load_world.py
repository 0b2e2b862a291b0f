"""The world the load test registers into, built in an empty database (run by
bench/checkpoint_load.py as `python bench/load_world.py OUT_DIR` with the app's environment).

Migrates, seeds the small demo county (`seed_demo("small")`: 青山镇 with six villages, 2,400
residents, and whatever the apps add: the checkpoints' demo brings its checkpoints and a week of
registrations), so lookups hit real tables; adds three checkpoints in the first village
(999901100201) through `create_checkpoint`, a checkpoint-staff account there with an API token
(the `create_api_token` command), and writes:

- OUT_DIR/world.json: {"token", "checkpoints": [codes]};
- OUT_DIR/bodies.jsonl: registrations as the phone sends them, one a line, "@ID@" and "@CP@"
  standing for the UUID and the checkpoint code the load generator puts in: a car with a plate
  and two passengers (ID numbers valid under GB 11643, half of them residents the server knows,
  half strangers; the driver with a phone), temperatures below the fever threshold, result
  passed, in or out, from places that are not risk areas: no rule fires (the common case; the
  rules' own cost is not measured here).
"""

import io
import json
import random
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path

import django

BODIES = 500
VILLAGE = "999901100201"  # 东村 of 青山镇
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
PLACES = ["合肥市蜀山区", "安庆市", "青山镇", "白水镇", "南京市", "芜湖市", "杭州市西湖区"]
REASONS = ["返乡", "上班", "买菜", "探亲", "送货", "就医"]


def build(out_dir: Path) -> None:
    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from fangyi.checkpoints.models import CheckpointKind
    from fangyi.checkpoints.services import create_checkpoint
    from fangyi.core import demo
    from fangyi.core.audit import Actor
    from fangyi.core.identity import compose_id_number
    from fangyi.core.models import Jurisdiction, Person
    from fangyi.core.roles import Role
    from fangyi.core.services import create_user

    call_command("migrate", verbosity=0)
    actor = Actor.system("bench")
    demo.seed_demo("small", actor=actor)
    village = Jurisdiction.objects.get(code=VILLAGE)
    create_user(
        "bench-staff",
        secrets.token_urlsafe(16),
        role=Role.CHECKPOINT_STAFF,
        jurisdiction=village,
        full_name="卡口值守员",
    )
    checkpoints = [
        create_checkpoint(
            actor,
            name=f"{village.name}{where}",
            kind=kind,
            location=f"{village.name}{where}路口",
            jurisdiction=village,
            responsible_unit=f"{village.name}村委会",
        )
        for where, kind in [
            ("北口", CheckpointKind.VILLAGE_ENTRANCE),
            ("南口", CheckpointKind.VILLAGE_ENTRANCE),
            ("省道路口", CheckpointKind.PERSUASION_POINT),
        ]
    ]
    token = io.StringIO()
    call_command("create_api_token", "bench-staff", "--name", "load test", stdout=token)

    rng = random.Random(20200124)
    now = timezone.localtime().replace(microsecond=0)  # sent within the hour before the run
    # Residents the ledger does not know (the demo puts some under quarantine): checking them
    # fires no rule, like most cars at a checkpoint.
    residents = [
        (p.name, p.id_number)
        for p in Person.objects.within(VILLAGE).filter(ledger_entries=None).order_by("pk")[:400]
    ]
    lines = []
    for _ in range(BODIES):
        passengers = []
        for seat in range(2):
            if rng.random() < 0.5 and residents:
                name, id_number = rng.choice(residents)
            else:
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
                id_number = compose_id_number("340104", born, rng.randrange(1000))
            passenger = {
                "name": name,
                "id_number": id_number,
                "temperature": f"{rng.uniform(35.8, 37.1):.1f}",
                "result": "passed",
            }
            if seat == 0:
                passenger["phone"] = f"139{rng.randrange(10**8):08d}"
            passengers.append(passenger)
        plate = (
            "皖R"
            + "".join(rng.choices(PLATE_LETTERS[-10:], k=1))
            + "".join(rng.choices(PLATE_LETTERS, k=4))
        )
        body = {
            "id": "@ID@",
            "checkpoint": "@CP@",
            "occurred_at": (now - timedelta(seconds=rng.randrange(3600))).isoformat(),
            "direction": "in" if rng.random() < 0.6 else "out",
            "plate": plate,
            "from_place": rng.choice(PLACES),
            "to_place": village.name,
            "reason": rng.choice(REASONS),
            "result": "passed",
            "notes": "",
            "passengers": passengers,
        }
        lines.append(json.dumps(body, ensure_ascii=False))
    (out_dir / "bodies.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    world = {"token": token.getvalue().strip(), "checkpoints": [c.code for c in checkpoints]}
    (out_dir / "world.json").write_text(json.dumps(world))


if __name__ == "__main__":
    build(Path(sys.argv[1]))
