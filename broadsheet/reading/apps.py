from django.apps import AppConfig


class ReadingConfig(AppConfig):
    name = "broadsheet.reading"
    label = "reading"
