from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from broadsheet.core.timeutil import ago
from broadsheet.ingest.selectors import feed_health_list


class Command(BaseCommand):
    help = "Show every feed's health: last success, last error, failures, next check."

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        table = Table(title="Feeds", show_lines=False)
        for column in ("id", "feed", "last success", "failures", "last error", "next check"):
            table.add_column(column, overflow="fold")
        for feed in feed_health_list():
            status = "[red]" if feed.consecutive_failures else ""
            table.add_row(
                str(feed.id),
                (feed.title or feed.url)[:60],
                ago(feed.last_success_at, now=now),
                f"{status}{feed.consecutive_failures}",
                f"{feed.last_error_kind}: {feed.last_error}"[:120] if feed.last_error else "",
                ago(feed.next_check_at, now=now),
            )
        # Console wants a text stream; OutputWrapper is one in all but its declared type.
        Console(file=self.stdout, width=160).print(table)  # type: ignore[arg-type]
