from django.urls import path

from broadsheet.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("feeds/", views.feed_health, name="feed_health"),
    path("healthz", views.healthz, name="healthz"),
]
