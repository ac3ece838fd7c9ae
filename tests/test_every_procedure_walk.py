"""Every procedure of the manual is started and carried to its end, through every branch,
by the roles the manual names, through the API."""
from collections import Counter

import pytest

from engine.sheets import END, load_catalog

from .walker import Walker

SHEETS = load_catalog()


def distance_to_end(sheet):
    """Fewest activities from each activity to the end: the loop guard's way out."""
    distance = {}
    changed = True
    while changed:
        changed = False
        for activity in sheet.activities:
            best = min((0 if r.goto == END else distance.get(r.goto, 10**6) + 1) for r in sheet.routes(activity.n))
            if best < distance.get(activity.n, 10**6):
                distance[activity.n] = best
                changed = True
    return distance


def starter_for(sheet, activity_n):
    roles = sheet.activity(activity_n).roles
    return "personal-mindef" if "personal-mindef" in roles else roles[0]


@pytest.mark.django_db
@pytest.mark.parametrize("sheet", SHEETS, ids=[s.code for s in SHEETS])
def test_every_branch_of_the_procedure_is_walked_to_its_end(staff, sheet):
    walker = Walker()
    answers = {(a.n, ans.label) for a in sheet.activities if a.decision for ans in a.decision.answers}
    taken = Counter()
    distance = distance_to_end(sheet)

    def choose(task, visits):
        activity = sheet.activity(task["activity"])
        options = activity.decision.answers
        if visits[task["activity"]] > 2:  # leave a loop by the shortest way to the end
            return min(options, key=lambda a: 0 if a.goto == END else distance[a.goto]).label
        return min(options, key=lambda a: taken[(activity.n, a.label)]).label

    entries = sheet.entry_points
    runs = 0
    visited = set()
    while runs < 3 * (len(answers) + len(entries)):
        key, _, first = entries[runs % len(entries)]
        case, path = walker.run(sheet.code, starter_for(sheet, first), choose, start=key if len(entries) > 1 else None)
        runs += 1
        assert case["status"] == "completed"
        assert path[0][0] == first
        for activity, decision in path:
            visited.add(activity)
            if decision:
                taken[(activity, decision)] += 1
        if runs >= len(entries) and answers <= set(taken):
            break
    assert answers <= set(taken), f"respuestas nunca tomadas: {sorted(answers - set(taken))}"
    assert visited == {a.n for a in sheet.activities}
