"""The peer kassa is measured against: payme-pkg's Django Merchant API view, configured as
its README says, with a one-time-payment order model, on the same PostgreSQL."""

import os

SECRET_KEY = "peer-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework", "payme", "peer.orders"]
ROOT_URLCONF = "peer.urls"
USE_TZ = True
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ.get("PEER_DB", "peer_bench"),
    "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432", "CONN_MAX_AGE": 600,
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}
PAYME_ID = "5e730e8e0b852a417aa49ceb"
PAYME_KEY = os.environ.get("PEER_PAYME_KEY", "bench-payme-key")
PAYME_ACCOUNT_FIELD = "order_id"
PAYME_AMOUNT_FIELD = "amount"
PAYME_ACCOUNT_MODEL = "peer.orders.models.Order"
PAYME_ONE_TIME_PAYMENT = True
LOGGING = {"version": 1, "disable_existing_loggers": True}
