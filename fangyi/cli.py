"""The `fangyi` command: Django's management commands, with dashes allowed (`fangyi seed-demo`)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangyi.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "fangyi"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
