"""/api/greader/: ClientLogin and /reader/api/0/… (streams may be in the path, slashes and all)."""

from django.urls import path, re_path

from broadsheet.api.greader import views

R = "reader/api/0/"
urlpatterns = [
    path("accounts/ClientLogin", views.client_login, name="greader_login"),
    path(R + "token", views.token, name="greader_token"),
    path(R + "user-info", views.user_info, name="greader_user_info"),
    path(R + "subscription/list", views.subscription_list, name="greader_subscriptions"),
    path(R + "subscription/edit", views.subscription_edit, name="greader_subscription_edit"),
    path(R + "subscription/quickadd", views.subscription_quickadd, name="greader_quickadd"),
    path(R + "tag/list", views.tag_list, name="greader_tags"),
    path(R + "unread-count", views.unread_count, name="greader_unread_count"),
    path(R + "stream/items/ids", views.stream_item_ids, name="greader_item_ids"),
    path(R + "stream/items/contents", views.stream_item_contents, name="greader_item_contents"),
    re_path(
        r"^reader/api/0/stream/contents/(?P<stream>.{1,2000})$",
        views.stream_contents,
        name="greader_stream",
    ),
    path(R + "stream/contents", views.stream_contents, name="greader_stream_default"),
    path(R + "edit-tag", views.edit_tag, name="greader_edit_tag"),
    path(R + "mark-all-as-read", views.mark_all_as_read, name="greader_mark_all"),
    path(R + "disable-tag", views.disable_tag, name="greader_disable_tag"),
]
