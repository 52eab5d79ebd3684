from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from broadsheet.articles.extract import extract_file


class Command(BaseCommand):
    help = "Extract articles from saved pages (.html or .html.gz): one JSON line per file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=None, help="The pages' URL (for relative links and site rules)")
        parser.add_argument("files", nargs="+")

    def handle(self, *args: object, url: str | None, files: list[str], **options: object) -> None:
        for path in files:
            self.stdout.write(json.dumps(extract_file(path, url=url), ensure_ascii=False))
