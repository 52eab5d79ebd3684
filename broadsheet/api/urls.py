"""Open interfaces, mounted at the site root: /api/… (JSON, Google Reader, Fever, OPML, tokens) and /feeds/…"""

from django.urls import include, path, re_path

from broadsheet.api import fever, opml_views, token_views
from broadsheet.api.feeds import views as feed_views
from broadsheet.api.greader import urls as greader_urls
from broadsheet.api.rest import v1

app_name = "api"
urlpatterns = [
    path("api/v1/", v1.urls()),
    path("api/greader/", include(greader_urls.urlpatterns)),
    path("api/fever/", fever.endpoint, name="fever"),
    # FreshRSS serves Fever at /api/fever.php; clients written for it find us there too.
    path("api/fever.php", fever.endpoint, name="fever_php"),
    path("api/tokens/", token_views.tokens_page, name="tokens"),
    path("api/opml/export.opml", opml_views.opml_export, name="opml_export"),
    path("api/opml/import/", opml_views.opml_import, name="opml_import"),
    re_path(
        r"^feeds/(?P<kind>tag|source|story|wrapup|foryou)/(?P<key>[^/]{1,200})\.(?P<fmt>rss|atom|json)$",
        feed_views.feed,
        name="feed",
    ),
]
