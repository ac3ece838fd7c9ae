"""S04.02.00.01 Desarrollo, implementación y puesta en producción de sistemas de información:
parallel branches and their join, the QA loop back to 17, the external-publication sub-flow."""
import pytest

from .walker import Walker, scripted

CODE = "S04.02.00.01"
pytestmark = pytest.mark.django_db


def activities(path):
    return [activity for activity, _ in path]


def test_a_request_that_is_not_viable_ends_with_the_observations_oficio(staff):
    case, path = Walker().run(CODE, "director-uo", scripted({3: ["No"]}))
    assert activities(path) == [1, 2, 3, 4, 5]
    assert case["status"] == "completed"


def test_straight_path_without_publication(staff):
    answers = {3: ["Sí"], 8: ["Alta o media"], 22: ["No"], 30: ["No"]}
    case, path = Walker().run(CODE, "director-uo", scripted(answers))
    assert activities(path) == [1, 2, 3, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                                26, 27, 28, 29, 30, 40, 41, 42, 43, 44, 45]
    assert case["status"] == "completed"


def test_low_complexity_goes_through_the_acta_de_requerimiento(staff):
    answers = {3: ["Sí"], 8: ["Baja"], 22: ["No"], 30: ["No"]}
    _, path = Walker().run(CODE, "director-uo", scripted(answers))
    assert activities(path)[5:9] == [8, 11, 12, 13]


def test_parallel_branches_both_finish_before_quality_control(staff):
    walker = Walker()
    case = walker.start(CODE, "director-uo")
    choose = scripted({3: ["Sí"], 8: ["Alta o media"]})
    visits = {}
    while not {t["activity"] for t in case["open_tasks"]} & {15, 16}:
        task = case["open_tasks"][0]
        visits[task["activity"]] = 1
        walker.complete(task, choose(task, visits) if task["decisions"] else None)
        case = walker.case(case["id"], "director-uo")
    open_now = {t["activity"]: t for t in case["open_tasks"]}
    assert set(open_now) == {15, 16}
    assert open_now[15]["role"] == "analista-programador" and open_now[16]["role"] == "analista-sistemas"
    after_one = walker.complete(open_now[16])
    assert [t["activity"] for t in after_one["open_tasks"]] == [15]      # the join waits for 15
    after_both = walker.complete(open_now[15])
    assert [t["activity"] for t in after_both["open_tasks"]] == [17]


def test_defects_loop_back_to_17_without_waiting_for_the_join_again(staff):
    answers = {3: ["Sí"], 8: ["Alta o media"], 22: ["Sí", "Sí", "No"], 30: ["No"]}
    case, path = Walker().run(CODE, "director-uo", scripted(answers))
    done = activities(path)
    assert done.count(17) == 3 and done.count(22) == 3 and done.count(15) == 1
    assert case["status"] == "completed"


def test_external_publication_sub_flow_with_missing_data_and_failed_validation(staff):
    answers = {3: ["Sí"], 8: ["Alta o media"], 22: ["No"], 30: ["Sí"], 32: ["No", "Sí", "Sí"],
               36: ["No", "No", "Sí"], 37: ["Sí", "No"]}
    case, path = Walker().run(CODE, "director-uo", scripted(answers))
    done = activities(path)
    tail = done[done.index(30):]
    assert tail == [30, 31, 32, 33, 34, 32, 35, 36, 37, 38, 35, 36, 37, 35, 36, 39, 40, 41, 42, 43, 44, 45]
    assert case["status"] == "completed"
    publication = next(h for h in case["history"] if h["activity"] == 31)
    assert publication["data"]["ip_privada_destino"] == "10.10.1.20"


def test_a_hundred_rounds_of_the_qa_loop_keep_the_case_light(staff):
    """Activity 22 «¿Se encontraron defectos? Sí» goes back to 17: after 100 rounds the stored engine
    state is no larger than after the first (the engine drops finished rounds; the history keeps
    them), and the case still ends as the manual says."""
    from cases.models import Case

    sizes = {}

    def choose(task, visits):
        if task["activity"] == 22:
            sizes[visits[22]] = len(Case.objects.get(pk=task["case"]).state)
            return "Sí" if visits[22] <= 100 else "No"
        return {3: "Sí", 8: "Alta o media", 30: "No"}.get(task["activity"], task["decisions"][0])

    case, path = Walker().run(CODE, "director-uo", choose, max_steps=800)
    done = activities(path)
    assert case["status"] == "completed"
    assert done.count(17) == 101 and done.count(22) == 101 and done.count(15) == 1 and done[-1] == 45
    assert len([h for h in case["history"] if h["activity"] == 18]) == 101     # the history keeps every round
    assert sizes[101] < 1.5 * sizes[1], (sizes[1], sizes[20], sizes[101])
