from django.urls import include, path

urlpatterns = [
    path("", include("broadsheet.web.urls")),
]
