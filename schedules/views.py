from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def upcoming(request):
    return HttpResponse("Programación: en construcción", status=501)
