from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Mesa de ayuda"

    def ready(self):
        from cases import effects, procedures
        from registers import effects as register_effects

        from .effects import TicketEffects, case_closed, ticket_number

        effects.register(TicketEffects())
        effects.subscribe("case.closed", case_closed)
        # Registers that keep a ticket's number take it from the case (`@ticket`) or from the
        # ticket it generated (`@ticket:<link>`), never typed.
        # Late: the activity that generates a ticket may write its number in a register.
        register_effects.add_source("@ticket", ticket_number(), late=True)
        links = {t.link for s in procedures.sheets().values() for a in s.activities for t in a.tickets if t.link}
        for link in links:
            register_effects.add_source(f"@ticket:{link}", ticket_number(link), late=True)
