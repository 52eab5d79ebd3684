from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "broadsheet.search"
    label = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from broadsheet.articles.signals import article_stored
        from broadsheet.enrich.models import Enrichment
        from broadsheet.search import signal_handlers

        article_stored.connect(
            signal_handlers.on_article_stored, dispatch_uid="search.article_stored"
        )
        post_save.connect(
            signal_handlers.on_enrichment_saved, sender=Enrichment, dispatch_uid="search.enrichment"
        )
