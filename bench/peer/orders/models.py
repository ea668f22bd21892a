from django.db import models


class Order(models.Model):
    amount = models.DecimalField(max_digits=15, decimal_places=2)  # in sum, as payme-pkg expects

    class Meta:
        app_label = "orders"
