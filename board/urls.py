from django.urls import path

from board import views

app_name = "board"
urlpatterns = [
    path("board/", views.board_page, name="board"),
]
