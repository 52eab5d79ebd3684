from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

from broadsheet.articles.services import warc_import


class Command(BaseCommand):
    help = "Store the articles of archived pages in a WARC file (.warc or .warc.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: object, file: str, **options: object) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[stored]} stored"),
        )
        with path.open("rb") as raw, Progress(*columns, transient=False) as progress:
            bar = progress.add_task(path.name, total=path.stat().st_size, stored=0)

            def tick(stored: int) -> None:
                progress.update(bar, completed=raw.tell(), stored=stored)

            report = warc_import(stream=raw, on_progress=tick)
        self.stdout.write(
            f"{report.pages} pages read: {report.stored} stored, {report.duplicates} already known, "
            f"{report.rejected} not articles or challenges"
        )
