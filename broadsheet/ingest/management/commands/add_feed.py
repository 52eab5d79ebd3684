from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from broadsheet.ingest.services import feed_create


class Command(BaseCommand):
    help = "Subscribe to a feed by URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--title", default="")

    def handle(self, *args: object, url: str, title: str, **options: object) -> None:
        try:
            feed, created = feed_create(url=url, title=title)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{'added' if created else 'already subscribed'}: feed {feed.id} {feed.url}"
        )
