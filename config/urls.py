from django.urls import include, path

urlpatterns = [
    path("img/", include("broadsheet.images.urls")),
    path("api/", include("broadsheet.api.urls")),
    path("accounts/", include("broadsheet.accounts.urls")),
    path("", include("broadsheet.community.urls")),
    path("", include("broadsheet.search.urls")),
    path("", include("broadsheet.web.urls")),
]
