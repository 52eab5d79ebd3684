from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from broadsheet.articles.pipeline import feeds_refresh
from broadsheet.ingest.models import Feed


class Command(BaseCommand):
    help = "Poll feeds now, in this process, and store their new articles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--feed", type=int, action="append", help="Feed id (repeatable); default all active"
        )

    def handle(
        self, *args: object, feed: list[int] | None, no_drain: bool, **options: object
    ) -> None:
        ids = feed or list(Feed.objects.filter(active=True).values_list("id", flat=True))
        new = 0
        for start in range(0, len(ids), 50):
            new += feeds_refresh(feed_ids=ids[start : start + 50])
        failing = Feed.objects.filter(id__in=ids, consecutive_failures__gt=0).count()
        self.stdout.write(f"{len(ids)} feeds polled, {new} new entries, {failing} feeds failing")
        if not no_drain:
            # What the pipeline queued for later layers (enrichment) runs here too, so `refresh`
            # alone leaves every new article complete.
            call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
