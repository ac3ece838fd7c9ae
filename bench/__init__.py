"""Performance benchmarks for mapro: `make bench` (python -m bench.run).

Not a test suite: it measures and prints a table, and writes var/bench.json.

- bench.raw        one SpiffWorkflow step (restore + complete + serialize), no Django.
- bench.persisted  the same step through cases.workflow.complete_task (run in a subprocess
                   per database, because Django reads DATABASE_URL once per process).
- bench.inbox      "Mis tareas" (cases.workflow.inbox) on 1,000,000 tasks, 100,000 open.
- bench.run        orchestrates: fresh SQLite file and fresh PostgreSQL database, table, JSON.
"""
