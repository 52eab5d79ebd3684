"""`broadsheet serve`: the production web server (gunicorn) on the given address."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server (gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None)

    def handle(
        self, *args: object, host: str, port: int, workers: int | None, **options: object
    ) -> None:
        count = workers or int(settings.BROADSHEET["WEB_CONCURRENCY"])
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        argv = [
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(count),
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
        ]
        # exec: gunicorn becomes this process, so Ctrl-C and SIGTERM reach it directly.
        os.execv(gunicorn, argv)
