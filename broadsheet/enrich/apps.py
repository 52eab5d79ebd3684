from django.apps import AppConfig


class EnrichConfig(AppConfig):
    name = "broadsheet.enrich"
    label = "enrich"

    def ready(self) -> None:
        from broadsheet.articles.signals import articles_stored, scheduler_tick
        from broadsheet.enrich import signal_handlers

        articles_stored.connect(
            signal_handlers.on_articles_stored, dispatch_uid="enrich.articles_stored"
        )
        scheduler_tick.connect(
            signal_handlers.on_scheduler_tick, dispatch_uid="enrich.scheduler_tick"
        )
