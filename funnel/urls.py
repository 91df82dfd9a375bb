from django.urls import path

from funnel.pages import people as views_people
from funnel.pages import settings as views_settings
from funnel.pages import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("", views.board_list, name="board-list"),
    path("boards/<int:board_id>/", views.board_page, name="board"),
    path("boards/<int:board_id>/settings/", views_settings.board_settings, name="board-settings"),
    path("boards/<int:board_id>/meeting/", views.meeting_page, name="meeting"),
    path("invite/<str:token>/", views_people.invite_page, name="invite"),
    path("signup/", views_people.signup_page, name="signup"),
]
