"""Sending lineage events: handed to the OpenLineage client, then kept in the `lineage_event` table.

Lineage never breaks a request (DESIGN.md §3): `emit` sends the event, stores it with whether the
transport took it in its own short transaction, and never raises. Call it after the work it
describes has committed, and with no write transaction open in the same thread (on SQLite a second
writer would wait for the first).

The transport is the OpenLineage client's own configuration: `lineage/openlineage.yml` of the
governance content, or, when the `OPENLINEAGE_CONFIG` environment variable is set, the file it names
(read by the client as it always does). A `file` transport's relative `log_file_path` is taken
relative to the app's instance folder rather than the process's working directory.
"""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import RunEvent, RunState
from sqlalchemy.orm import sessionmaker

from ..governance.model import Governance
from ..models import LineageEvent, utcnow
from ..services.bulk import inserter
from .events import run_event, steward_event
from .serialize import converted, to_dict

log = logging.getLogger(__name__)

# events the background worker stores in one transaction at most
BATCH = 200


class LineageEmitter:
    """Stores and sends OpenLineage events for one app (thread-safe; one per process is enough).

    Attributes:
        gov: governance whose `openlineage` configuration picks the transport; assign the new one
            after a governance reload and the client is rebuilt on the next event if it changed.
        failures: events that were not delivered or not stored since start-up.
    """

    def __init__(self, gov: Governance, factory: sessionmaker, instance_path: str, *,
                 background: bool = False) -> None:
        self.gov = gov
        self.factory = factory
        self.instance_path = instance_path
        self.failures = 0
        self._client: OpenLineageClient | None = None
        self._client_config: dict[str, Any] | None = None
        self._lock = threading.Lock()
        # Building, storing and serialising an event costs a few milliseconds; a single-record
        # upsert should not wait for it. In the background one worker thread emits in order.
        self.background = background
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple, dict]] = queue.Queue(maxsize=10_000)
        self._worker: threading.Thread | None = None
        # the worker's events sent but not yet stored (None: store each call's events at once)
        self._held = threading.local()

    # -- background ------------------------------------------------------------------------------

    def submit(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Call `method` (one of the emitting methods) now, or in the background worker.

        A full queue (the backend far behind) makes the caller emit itself rather than drop anything.
        """
        if not self.background:
            method(*args, **kwargs)
            return
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="mdm-lineage", daemon=True)
                self._worker.start()
                atexit.register(self.flush, 10.0)
        try:
            self._queue.put_nowait((method, args, kwargs))
        except queue.Full:
            method(*args, **kwargs)

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            # what queued up meanwhile is sent in order and stored in one transaction: on SQLite
            # each transaction takes the write lock that requests wait for
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._held.rows = []
            try:
                for method, args, kwargs in batch:
                    try:
                        method(*args, **kwargs)
                    except Exception:
                        log.exception("lineage event not emitted")
                        with self._lock:
                            self.failures += 1
                rows = self._held.rows
                if rows and not self._store(rows):
                    with self._lock:
                        self.failures += sum(error is None for _, _, error in rows)
            finally:
                self._held.rows = None
                for _ in batch:
                    self._queue.task_done()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every submitted event was emitted; False when `timeout` ran out first."""
        if self._worker is None:
            return True
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    # -- client ----------------------------------------------------------------------------------

    @property
    def client(self) -> OpenLineageClient:
        """The OpenLineage client for the configuration in force (built on first use).

        Raises:
            Exception: whatever the client raises for an unusable configuration.
        """
        wanted = None if os.environ.get("OPENLINEAGE_CONFIG") else self.gov.openlineage
        with self._lock:
            if self._client is None or wanted != self._client_config:
                if self._client is not None:
                    self._client.close(timeout=0)
                self._client = self._build(wanted)
                self._client_config = copy.deepcopy(wanted)
            return self._client

    def _build(self, config: Mapping[str, Any] | None) -> OpenLineageClient:
        if config is None:
            return OpenLineageClient()
        resolved = copy.deepcopy(dict(config))
        if "transport" in resolved:
            resolved["transport"] = self._resolve_paths(resolved["transport"])
        return OpenLineageClient(config=resolved)

    def _resolve_paths(self, transport: Any) -> Any:
        """Relative `file` transport paths under the instance folder, also inside a `composite` one."""
        if not isinstance(transport, dict):
            return transport
        if transport.get("type") == "composite":
            inner = transport.get("transports")
            if isinstance(inner, dict):
                transport["transports"] = {k: self._resolve_paths(t) for k, t in inner.items()}
            elif isinstance(inner, list):
                transport["transports"] = [self._resolve_paths(t) for t in inner]
        elif transport.get("type") == "file" and isinstance(transport.get("log_file_path"), str):
            path = transport["log_file_path"]
            if "://" not in path and not os.path.isabs(path):
                path = os.path.join(self.instance_path, path)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                transport["log_file_path"] = path
        return transport

    # -- emitting --------------------------------------------------------------------------------

    def emit(self, event: RunEvent) -> bool:
        """Store `event`, send it, and record the outcome; never raises.

        Returns:
            True when the transport accepted the event. Failures are logged, counted in `failures`
            and kept on the stored row (`delivered` False, `error`).
        """
        return self.emit_all([event])

    def emit_all(self, events: list[RunEvent]) -> bool:
        """Send `events` in order, then store them in one transaction; True when all were delivered."""
        rows = [(event, *self._send(event)) for event in events]
        held = getattr(self._held, "rows", None)
        if held is not None:  # the worker stores its batch at the end
            held.extend(rows)
            stored = True
        else:
            # stored once the outcomes are known: one short transaction for the lot
            stored = self._store(rows)
        failed = sum(error is not None or not stored for _, _, error in rows)
        if failed:
            with self._lock:
                self.failures += failed
        return all(error is None for _, _, error in rows)

    def _send(self, event: RunEvent) -> tuple[dict[str, Any] | None, str | None]:
        """Hand `event` to the client: the event as stored (None: not convertible), and None or why
        it was not delivered."""
        try:
            client = self.client
            # The client adds its own facets (run tags, configured environment variables) while
            # emitting; adding them first makes the stored event the one the transport receives.
            # (It reads the whole environment to find the configured variables: only when there are.)
            if client.config.facets.environment_variables:
                client.add_environment_facets(event)
            client.update_event_tags_facets(event)
            client.add_source_code_location_facet(event)
        except Exception as exc:  # noqa: BLE001 - lineage never breaks the caller
            error = f"cannot configure the OpenLineage client: {type(exc).__name__}: {exc}"
        else:
            try:
                with converted(event) as body:
                    client.emit(event)
                return body, None
            except Exception as exc:  # noqa: BLE001 - lineage never breaks the caller
                error = f"{type(exc).__name__}: {exc}"
        log.warning("lineage event %s %s of run %s not delivered: %s", event.job.name,
                    _state(event), event.run.runId, error)
        try:
            return to_dict(event), error
        except Exception:  # noqa: BLE001 - _store reports it
            return None, error

    def _store(self, rows: list[tuple[RunEvent, dict[str, Any] | None, str | None]]) -> bool:
        try:
            if any(body is None for _, body, _ in rows):
                raise TypeError("an event the hub cannot convert to JSON")
            # built before the transaction, and written with a Core statement: the write lock is
            # held for the insert alone (the ORM's unit of work cost as much again)
            values = [{"run_uuid": event.run.runId, "event_type": _state(event) or "OTHER",
                       "job_namespace": event.job.namespace, "job_name": event.job.name,
                       "event_time": _parse_time(event.eventTime), "event": body,
                       "delivered": error is None, "error": error} for event, body, error in rows]
            with self.factory() as session:
                session.execute(inserter(LineageEvent), values)
                session.commit()
                return True
        except Exception:
            log.exception("cannot store lineage events of run %s", rows[0][0].run.runId if rows else None)
            return False

    # -- convenience -----------------------------------------------------------------------------

    def ingest_started(self, run_uuid: str, system: str, domain: str, event_time: dt.datetime | None = None,
                       *, gov: Governance | None = None) -> bool:
        """START of an ingest run; `gov` is the governance the run uses (default: `self.gov`)."""
        return self.emit(run_event(gov or self.gov, RunState.START, run_uuid, system, domain,
                                   event_time or utcnow()))

    def ingest_completed(self, run_uuid: str, system: str, domain: str, *,
                         stats: Iterable[Mapping[str, Any]] | None, counts: Mapping[str, int] | None,
                         event_time: dt.datetime | None = None, gov: Governance | None = None,
                         started_at: dt.datetime | None = None) -> bool:
        """COMPLETE of an ingest run, with its per-rule rows and its counts; preceded by its START
        when `started_at` is given (a run whose START was not sent when it began)."""
        gov = gov or self.gov
        complete = run_event(gov, RunState.COMPLETE, run_uuid, system, domain, event_time or utcnow(),
                             stats=stats, counts=counts)
        return self.emit_all(self._started(gov, run_uuid, system, domain, started_at) + [complete])

    def ingest_failed(self, run_uuid: str, system: str, domain: str, error: str | BaseException, *,
                      stats: Iterable[Mapping[str, Any]] | None = None, counts: Mapping[str, int] | None = None,
                      event_time: dt.datetime | None = None, gov: Governance | None = None,
                      started_at: dt.datetime | None = None) -> bool:
        """FAIL of an ingest run, with the error (an exception also gives its stack trace); preceded
        by its START when `started_at` is given."""
        gov = gov or self.gov
        fail = run_event(gov, RunState.FAIL, run_uuid, system, domain, event_time or utcnow(),
                         stats=stats, counts=counts, error=error)
        return self.emit_all(self._started(gov, run_uuid, system, domain, started_at) + [fail])

    @staticmethod
    def _started(gov: Governance, run_uuid: str, system: str, domain: str,
                 started_at: dt.datetime | None) -> list[RunEvent]:
        return [] if started_at is None else [run_event(gov, RunState.START, run_uuid, system, domain, started_at)]

    def steward_action(self, action: str, run_uuid: str, golden_id: str, domain: str, actor: str,
                       reason: str | None, event_time: dt.datetime | None = None) -> bool:
        """A steward action as its own job run (`mdm.steward.<action>`)."""
        return self.emit(steward_event(self.gov, action, run_uuid, golden_id, domain, event_time or utcnow(),
                                       actor, reason))


def _state(event: RunEvent) -> str | None:
    return event.eventType.value if event.eventType is not None else None


def _parse_time(value: str) -> dt.datetime:
    # Python 3.10's fromisoformat does not read a trailing Z
    parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
