from django.contrib.auth import views as auth_views
from django.urls import path

from broadsheet.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.signin, name="login"),
    path("logout/", views.signout, name="logout"),
    path("two-factor/", views.totp_verify, name="totp_verify"),
    path("two-factor/setup/", views.totp_setup, name="totp_setup"),
    path("profile/", views.profile, name="profile"),
    path("profile/reader-password/", views.reader_password, name="reader_password"),
    path("profile/delete/", views.delete, name="delete"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
