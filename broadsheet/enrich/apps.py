from django.apps import AppConfig


class EnrichConfig(AppConfig):
    name = "broadsheet.enrich"
    label = "enrich"
