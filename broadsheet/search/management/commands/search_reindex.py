from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from broadsheet.search.services import search_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the full-text search index from every stored article."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="articles per transaction")

    def handle(self, *args: object, batch_size: int, **options: object) -> None:
        start = time.perf_counter()
        count = search_index_rebuild(batch_size=max(1, batch_size))
        self.stdout.write(f"indexed {count} articles in {time.perf_counter() - start:.1f} s")
