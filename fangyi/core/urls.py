from django.urls import path

from fangyi.core import views

urlpatterns = []
