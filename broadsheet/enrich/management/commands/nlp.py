from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from broadsheet.enrich.nlp import TASKS, run_task


class Command(BaseCommand):
    help = "Run an NLP task over JSON lines on stdin, writing JSON lines to stdout (the measuring interface)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=sorted(TASKS))
        parser.add_argument(
            "--sentences", type=int, default=None, help="summarize: sentences per summary"
        )
        parser.add_argument(
            "--k", type=int, default=None, help="hashtags/related: how many per item"
        )

    def handle(
        self, *args: object, task: str, sentences: int | None, k: int | None, **options: object
    ) -> None:
        opts = {
            name: value for name, value in (("sentences", sentences), ("k", k)) if value is not None
        }
        rows = (json.loads(line) for line in sys.stdin if line.strip())
        try:
            for row in run_task(task, rows, **opts):
                self.stdout.write(json.dumps(row, ensure_ascii=False))
        except (ValueError, KeyError) as exc:
            raise CommandError(f"nlp {task}: {exc}") from exc
