from django.urls import include, path

urlpatterns = [path("moved/", include("broadsheet.web.urls"))]
