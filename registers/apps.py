from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = "Registros e inventarios"

    def ready(self):
        from cases import effects

        from .effects import RegisterEffects

        effects.register(RegisterEffects())
