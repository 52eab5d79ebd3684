from django.urls import path

from broadsheet.community import views

app_name = "community"
urlpatterns = [
    path("comments/article/<int:article_id>/", views.thread, name="thread"),
    path("comments/<int:comment_id>/", views.comment_permalink, name="comment"),
    path("comments/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("comments/<int:comment_id>/report/", views.comment_report, name="comment_report"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/log/", views.moderation_log, name="moderation_log"),
    path(
        "moderation/comments/<int:comment_id>/",
        views.moderation_comment,
        name="moderation_comment",
    ),
    path("moderation/users/<int:user_id>/", views.moderation_user, name="moderation_user"),
    path("follow/<str:kind>/<int:pk>/", views.follow, name="follow"),
    path("for-you/", views.for_you, name="for_you"),
    path("saved/", views.saved, name="saved"),
    path("saved/<int:article_id>/", views.save, name="save"),
]
