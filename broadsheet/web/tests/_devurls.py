import importlib

from django.urls import include, path

urlpatterns = []
for prefix, mod in [
    ("img/", "broadsheet.images.urls"),
    ("accounts/", "broadsheet.accounts.urls"),
    ("", "broadsheet.community.urls"),
    ("", "broadsheet.api.urls"),
]:
    try:
        importlib.import_module(mod)
        urlpatterns.append(path(prefix, include(mod)))
    except Exception as exc:  # noqa: BLE001
        print("devurls: skip", mod, exc)
urlpatterns.append(path("", include("broadsheet.web.urls")))
