from django.urls import path

from board import api

urlpatterns = [
    path("board/", api.BoardSnapshotView.as_view(), name="api-board"),
    path("events/", api.EventsAfterView.as_view(), name="api-events-after"),
]
