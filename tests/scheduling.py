"""How `make test` hands the suite to its pytest-xdist workers (tests/README.md): in units that
keep a module's tests together (per backend, so that the SQLite half and the PostgreSQL half
of a module can go to different workers, and a module's expensive fixtures are built once),
the slowest units first, so that both workers finish together."""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

# The slowest units (what scope_of() gives) start first, the slowest of all first; a unit not
# listed keeps its place in pytest's order. Seconds of `--durations=0` (setup, call and
# teardown added up) of a 2-worker run on a shared 2-core machine: weights, not budgets. Add a
# module that takes more than a few per cent of the suite.
SLOWEST: dict[str, float] = {
    "tests/gateway/test_cli_ingest.py": 505,
    "tests/gateway/test_cli_merge.py": 271,
    "tests/gateway/test_public_view.py::postgresql": 267,
    "tests/gateway/test_access.py::postgresql": 124,
    "tests/gateway/test_access.py::sqlite": 106,
    "tests/gateway/test_trusted_documents.py::postgresql": 65,
    "faults": 63,  # tests/gateway/test_faults.py, an xdist_group
    "tests/gateway/test_trusted_documents.py::sqlite": 58,
    "tests/gateway/test_exports.py::postgresql": 57,
    "tests/gateway/test_public_view.py::sqlite": 55,
    "tests/gateway/pages/test_producer_pages_browser.py": 43,
    "tests/ingestion/test_readers.py": 38,
    "tests/gateway/test_response_cache.py::sqlite": 36,
    "tests/ingestion/test_linkage_heldout.py": 33,
    "tests/gateway/test_bootstrap.py": 32,
    "tests/resolvers/test_changes.py::postgresql": 32,
    "tests/gateway/test_cli_data_inclusion.py": 32,
    "tests/gateway/test_exports.py::sqlite": 29,
    "tests/gateway/test_metrics.py": 29,
    "tests/gateway/test_read_replica.py": 28,
    # not collected in that run (an import broken at that commit); half their earlier weight
    "tests/gateway/test_execution.py::postgresql": 53,
    "tests/gateway/test_execution.py::sqlite": 48,
}


def scope_of(nodeid: str) -> str:
    """An xdist_group's name; else the module, and the backend its parameters name."""
    if nodeid.rfind("@") > nodeid.rfind("]"):  # xdist's own rule for an xdist_group
        return nodeid.split("@")[-1]
    module = nodeid.split("::", 1)[0]
    params = nodeid[nodeid.find("[") + 1 : -1].split("-") if nodeid.endswith("]") else []
    backend = next((b for b in ("sqlite", "postgresql") if b in params), None)
    return f"{module}::{backend}" if backend else module


class SlowestFirst(LoadGroupScheduling):
    """xdist's loadgroup (an xdist_group's tests on one worker, one after the other), with
    scope_of()'s units, taken in ordered()'s order."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)

    def schedule(self) -> None:
        # LoadScopeScheduling.schedule(), the work queue filled in our order (the collections
        # themselves must keep the workers' order: tests are sent to them by index)
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        for nodeid in ordered(self.collection):
            self.workqueue.setdefault(self._split_scope(nodeid), {})[nodeid] = False
        for _ in range(len(self.nodes) - len(self.workqueue)):  # more workers than units
            unused, _assigned = self.assigned_work.popitem()
            unused.shutdown()
        for node in self.nodes:
            self._assign_work_unit(node)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()


def ordered(collection: list[str]) -> list[str]:
    first: dict[str, int] = {}
    for index, nodeid in enumerate(collection):
        first.setdefault(scope_of(nodeid), index)

    def key(item: tuple[int, str]) -> tuple[float, int, int]:
        scope = scope_of(item[1])
        return (-SLOWEST.get(scope, 0.0), first[scope], item[0])

    return [nodeid for _, nodeid in sorted(enumerate(collection), key=key)]
