from django.urls import path
from payme.views import PaymeWebHookAPIView

urlpatterns = [path("payme/update/", PaymeWebHookAPIView.as_view())]
