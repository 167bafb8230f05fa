from rest_framework.routers import SimpleRouter

from customer_care import api

router = SimpleRouter()
# The same prefix and names as the incident viewset: /api/incidents/{id}/resolve/ …
router.register("incidents", api.CustomerCareViewSet, basename="api-incident")

urlpatterns = router.urls
