"""Settings for bench/checkpoint_load.py: the production settings, plus a bare endpoint.

gunicorn runs with `--pythonpath bench` and DJANGO_SETTINGS_MODULE=load_settings. The URL map
is the real one (bench/load_urls.py) with GET /bench/bare added in front; the production
fangyi/urls.py never has it. With BENCH_NO_MIDDLEWARE=1 the middleware list is empty, which is
the issue's reference ceiling ("a bare Django view with no middleware").
"""

import os

from fangyi.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"

if os.environ.get("BENCH_NO_MIDDLEWARE") == "1":
    MIDDLEWARE = []
