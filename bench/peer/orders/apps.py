from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "peer.orders"
    label = "orders"
