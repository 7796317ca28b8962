from django.urls import path

from ent.directory import views

urlpatterns = [
    path("", views.home, name="home"),
    path("enfant/", views.select_child, name="select_child"),
    path("activation/", views.activate, name="activate"),
    path("activation/mot-de-passe/", views.activate_password, name="activate_password"),
    path("annuaire/ecoles/<int:school_id>/", views.school_detail, name="school_detail"),
    path("annuaire/classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path("annuaire/eleves/<int:pupil_id>/", views.pupil_detail, name="pupil_detail"),
    path("annuaire/eleves/<int:pupil_id>/code/", views.pupil_reset_code, name="pupil_reset_code"),
]
