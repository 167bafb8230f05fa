from django.apps import AppConfig


class CustomerCareConfig(AppConfig):
    name = "customer_care"
    verbose_name = "Customer care"
