from django.contrib.auth import views as auth_views
from django.urls import include, path

from org.signin import SignInForm

from . import casefile, second_factor, views
from .favicon import favicon

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("favicon.ico", favicon, name="favicon"),
    path("ingresar/", auth_views.LoginView.as_view(template_name="web/login.html", authentication_form=SignInForm),
         name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path("ingresar/verificacion/", second_factor.verify, name="second-factor"),
    path("ingresar/activar-verificacion/", second_factor.enrol, name="second-factor-enrol"),
    path("procedimientos/", views.catalogue, name="catalogue"),
    path("procedimientos/<str:code>/", views.procedure_detail, name="procedure"),
    path("procedimientos/<str:code>/bpmn", views.procedure_bpmn, name="procedure-bpmn"),
    path("procedimientos/<str:code>/iniciar", views.case_start, name="case-start"),
    path("casos/", views.case_list, name="cases"),
    path("casos/exportar.csv", views.case_export, {"fmt": "csv"}, name="cases-export-csv"),
    path("casos/exportar.xlsx", views.case_export, {"fmt": "xlsx"}, name="cases-export-xlsx"),
    path("casos/<int:case_id>/", views.case_detail, name="case"),
    path("casos/<int:case_id>/anular", views.case_cancel, name="case-cancel"),
    path("casos/<int:case_id>/comentarios", casefile.comment, name="case-comment"),
    path("casos/<int:case_id>/adjuntos", casefile.upload, name="case-attach"),
    path("casos/<int:case_id>/desistir", casefile.withdraw, name="case-withdraw"),
    path("adjuntos/<int:attachment_id>", casefile.download, name="attachment"),
    path("tareas/<int:task_id>/", views.task_detail, name="task"),
    path("tareas/<int:task_id>/atender", views.task_complete, name="task-complete"),
    path("tareas/<int:task_id>/atender-con-archivos", casefile.task_complete, name="task-complete-files"),
    path("tareas/<int:task_id>/tomar", views.task_claim, name="task-claim"),
    path("tareas/<int:task_id>/liberar", views.task_release, name="task-release"),
    path("tareas/<int:task_id>/reasignar", views.task_reassign, name="task-reassign"),
    path("notificaciones/", include("notifications.urls")),
]
