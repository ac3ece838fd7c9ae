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
        values = {f.key: (f.options[0] if f.options else sample_value(f)) for f in r.fields if f.required}
        actions.change(None, r.slug, "create", key, {k: v for k, v in values.items() if k not in key})


def scripted(answers):
    """A decision policy from {activity: [answer for 1st visit, 2nd visit, ...]}."""

    def choose(task, visits):
        options = answers[task["activity"]]
        return options[min(visits[task["activity"]], len(options)) - 1]

    return choose
