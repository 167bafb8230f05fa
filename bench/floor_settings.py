"""Settings for the benchmarks' server only: the project's, plus the floor view's URL.

Never used in production: the benchmarks start Daphne with
DJANGO_SETTINGS_MODULE=bench.floor_settings, and nothing else names this module.
"""

from incidentdesk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
