from django.urls import include, path

urlpatterns = [
    path("img/", include("broadsheet.images.urls")),
    # /api/… and /feeds/… (one "api" namespace: api:feed, api:v1:…, api:fever).
    path("", include("broadsheet.api.urls")),
    path("accounts/", include("broadsheet.accounts.urls")),
    path("", include("broadsheet.community.urls")),
    path("", include("broadsheet.search.urls")),
    path("", include("broadsheet.web.urls")),
]
