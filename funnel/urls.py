from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("", views.board_list, name="board-list"),
    path("boards/<int:board_id>/", views.board_page, name="board"),
]
