"""`broadsheet worker`: one task worker process (django-tasks-db); run any number on any host."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run a task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Drain the queue, then exit.")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: object, batch: bool, interval: float, **options: object) -> None:
        call_command(
            "db_worker", interval=interval, batch=batch, reload=False, verbosity=0 if batch else 1
        )
