from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from broadsheet.articles.extract import ChallengePage, NotAnArticle, extract_file

FIELDS = ("file", "url", "title", "byline", "published", "lang", "lead_image", "text")


class Command(BaseCommand):
    help = "Extract articles from saved pages (.html or .html.gz): one JSON line per file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default=None, help="The pages' URL (for relative links and site rules)"
        )
        parser.add_argument("files", nargs="+")

    def handle(self, *args: object, url: str | None, files: list[str], **options: object) -> None:
        for path in files:
            try:
                row = extract_file(path, url=url)
            except (ChallengePage, NotAnArticle, OSError) as exc:
                # One line per file, always: a page that is not an article says why, with empty fields.
                row = {
                    **dict.fromkeys(FIELDS, ""),
                    "file": path,
                    "url": url or "",
                    "published": None,
                    "error": f"{type(exc).__name__}: {exc}",
                }
            self.stdout.write(json.dumps(row, ensure_ascii=False))
