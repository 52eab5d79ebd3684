"""Only the resizer's routes, mounted where config/urls.py mounts them: these tests need nothing else."""

from django.urls import include, path

urlpatterns = [path("img/", include("broadsheet.images.urls"))]
