from __future__ import annotations

from django.core.management.base import BaseCommand

from broadsheet.ingest.opml import Outline, render_opml
from broadsheet.ingest.selectors import feeds_for_export


class Command(BaseCommand):
    help = "Print the subscriptions as OPML."

    def handle(self, *args: object, **options: object) -> None:
        outlines = [
            Outline(xml_url=f.url, title=f.title, html_url=f.site_url, category=f.category)
            for f in feeds_for_export()
        ]
        self.stdout.write(render_opml(outlines).decode("utf-8"), ending="")
