from django.urls import path, re_path

from broadsheet.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("articles/<int:pk>/ask/", views.ask, name="ask"),
    path("articles/<int:pk>/<str:slug>/", views.article, name="article"),
    path("tags/<str:slug>/", views.tag, name="tag"),
    path("sources/<int:pk>/", views.source, name="source"),
    path("stories/<int:pk>/", views.story, name="story"),
    path("search/", views.search, name="search"),
    path("wrapup/", views.wrapup, name="wrapup"),
    path("health/feeds/", views.feed_health, name="feed_health"),
    path("language/<str:code>/", views.language, name="language"),
    path("healthz", views.healthz, name="healthz"),
    re_path(r"^static/(?P<path>.+)$", views.static_file, name="static"),
]
