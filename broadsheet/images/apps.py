from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "broadsheet.images"
    label = "images"
