"""Drive cases through the API as the manual's roles would, one open task at a time."""
from .api_client import Api, fill, sample_value


class Walker:
    def __init__(self):
        self._apis = {}

    def api(self, username) -> Api:
        if username not in self._apis:
            self._apis[username] = Api(username)
        return self._apis[username]

    def start(self, code, starter, start=None, data=None):
        body = {"procedure": code}
        if start:
            body["start"] = start
        if data is not None:
            body["data"] = data
        response = self.api(starter).post("/api/cases", body)
        assert response.status_code == 201, response.content.decode()
        return response.json()

    def case(self, case_id, as_user):
        response = self.api(as_user).get(f"/api/cases/{case_id}")
        assert response.status_code == 200, response.content.decode()
        return response.json()

    @staticmethod
    def actor(task):
        # Demo-style staff: every role has a user named after its slug.
        return task["assignee"] or task["role"]

    def complete(self, task, decision=None, data=None):
        api = self.api(self.actor(task))
        body = {"data": fill(task["form"], api, task["case"]) if data is None else data}
        if data is None:
            prepare_registers(task, body["data"], decision)
        asks = task.get("decision_register")
        if asks and decision == asks["found"]:
            seed_register(asks, body["data"])   # the register answers: make it hold the entry asked for
        if decision is not None:
            body["decision"] = decision
        response = api.post(f"/api/tasks/{task['id']}/complete", body)
        assert response.status_code == 200, (task["activity"], response.content.decode())
        return response.json()

    def run(self, code, starter, choose, start=None, max_steps=400):
        """Complete open tasks until the case ends; `choose(task, visits)` answers decisions.

        Returns (case json, list of (activity, decision) in the order done)."""
        case = self.start(code, starter, start)
        path, visits = [], {}
        for _ in range(max_steps):
            if case["status"] != "open":
                return case, path
            task = case["open_tasks"][0]
            visits[task["activity"]] = visits.get(task["activity"], 0) + 1
            decision = choose(task, visits) if task["decisions"] else None
            self.complete(task, decision)
            path.append((task["activity"], decision))
            case = self.case(case["id"], starter)
        raise AssertionError(f"{code}: el caso no terminó en {max_steps} pasos: {path[-20:]}")


def seed_register(asks, data):
    """An open entry in the register a decision asks, with the key the form gives (by the register's
    own actions, as an initial load would)."""
    from registers import actions, catalog

    r = catalog.get(asks["register"])
    key = {field: data[form_field] for field, form_field in asks["key"].items()}
    if actions.current(r, key) is None:
        values = {f.key: sample_for(f) for f in r.fields if f.required}
        actions.change(None, r.slug, "create", key, {k: v for k, v in values.items() if k not in key})


FRESH_TYPES = ("text", "textarea")


def prepare_registers(task, data, decision):
    """Make the sample data meet the registers as the office's would: a key an activity registers
    is this case's own (the same sample text in every case would collide with the entries the
    earlier walks left); a field that picks an entry, and an effect that changes an entry that
    must exist, find it (created by the register's own actions, as an initial load would)."""
    from cases import procedures
    from cases.models import Case, Event
    from registers import actions, catalog
    from registers.models import Entry

    case = Case.objects.get(pk=task["case"])
    sheet = procedures.sheet(case.procedure, case.version)
    if task.get("waiting") or not sheet.has_activity(task["activity"]):
        return
    activity = sheet.activity(task["activity"])
    fresh = {form_field for a in sheet.activities for e in a.effects for _, form_field in e.key}
    fresh |= {form_field for a in sheet.activities if a.decision and a.decision.lookup
              for _, form_field in a.decision.lookup.key}
    for f in activity.form:
        if f.key in fresh and f.type in FRESH_TYPES and isinstance(data.get(f.key), str):
            data[f.key] = f"{data[f.key]} {case.number}"

    earlier = {}
    for values in (Event.objects.filter(case_id=case.pk, kind__in=(Event.Kind.STARTED, Event.Kind.COMPLETED))
                   .order_by("id").values_list("data", flat=True)):
        if isinstance(values, dict):
            earlier.update({k: v for k, v in values.items() if v not in (None, "", [])})

    def value(key):
        return data[key] if data.get(key) not in (None, "", []) else earlier.get(key)

    for f in activity.form:
        if f.type != "entry":
            continue
        r = catalog.get(f.register)
        holder = str(value(f.holder) or "") if f.holder else ""
        found = Entry.objects.filter(register=r.slug, closed=False)
        if holder:
            found = found.filter(person=holder, **({"state": r.assigned} if r.assigned else {}))
        entry = found.order_by("-id").first()
        if entry is None:
            key = {r.key[0]: f"Texto de prueba {case.number}"}
            if holder and r.assigned:
                entry = _seed(r, "assign", key, {r.person: holder})
            else:
                entry = _seed(r, "create", key, {})
        data[f.key] = entry.data[r.key[0]]

    for e in activity.effects:
        if e.action not in ("update", "return", "close") or (e.when and e.when != decision):
            continue
        if any(form_field == "@origin" for _, form_field in e.key):
            continue    # the cronograma date that started the case, if one did: nothing to seed
        r = catalog.get(e.register)
        key = {field: value(form_field) for field, form_field in e.key if not form_field.startswith("@")}
        key.update({field: case.number for field, form_field in e.key if form_field == "@case"})
        if all(key.values()) and actions.current(r, key) is None:
            if e.action == "return" and r.person:
                person = dict(e.set).get(r.person)
                _seed(r, "assign", key, {r.person: value(person) or sample_value({"type": "dni"})} if person else {})
            else:
                _seed(r, "create", key, {})


def sample_for(f):
    if f.options:
        return [f.options[0]] if f.type == "multichoice" else f.options[0]
    return sample_value(f)


def _seed(r, action, key, values):
    from registers import actions

    required = {f.key: sample_for(f) for f in r.fields if f.required}
    values = {**{k: v for k, v in required.items() if k not in key}, **values}
    return actions.change(None, r.slug, action, key, values)


def scripted(answers):
    """A decision policy from {activity: [answer for 1st visit, 2nd visit, ...]}."""

    def choose(task, visits):
        options = answers[task["activity"]]
        return options[min(visits[task["activity"]], len(options)) - 1]

    return choose
