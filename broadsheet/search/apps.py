from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "broadsheet.search"
    label = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from broadsheet.articles.signals import articles_stored
        from broadsheet.enrich.models import Enrichment
        from broadsheet.search import signal_handlers

        articles_stored.connect(
            signal_handlers.on_articles_stored, dispatch_uid="search.articles_stored"
        )
        post_save.connect(
            signal_handlers.on_enrichment_saved, sender=Enrichment, dispatch_uid="search.enrichment"
        )
