from django.urls import path

from venueos.web import views

urlpatterns = [path("", views.home, name="home")]
