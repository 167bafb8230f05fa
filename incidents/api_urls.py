from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents import api

router = SimpleRouter()
router.register("incidents", api.IncidentViewSet, basename="api-incident")

urlpatterns = [
    *router.urls,
    path("priority-matrix/", api.PriorityMatrixView.as_view(), name="api-priority-matrix"),
    path("categories/", api.CategoryListView.as_view(), name="api-categories"),
    path("priorities/", api.PriorityListView.as_view(), name="api-priorities"),
]
