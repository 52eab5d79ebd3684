from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from broadsheet.ingest.parse import ParseError
from broadsheet.ingest.services import feeds_import_opml


class Command(BaseCommand):
    help = "Subscribe to every feed of an OPML file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: object, file: str, **options: object) -> None:
        try:
            added, known = feeds_import_opml(content=Path(file).read_bytes())
        except (OSError, ParseError) as exc:
            raise CommandError(f"cannot import {file}: {exc}") from exc
        self.stdout.write(f"{added} feeds added, {known} already subscribed")
