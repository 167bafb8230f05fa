from django.urls import path

from dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("board/", views.board_page, name="board"),
]
