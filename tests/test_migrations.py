"""The Alembic migrations produce exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mdm.db import make_engine
from mdm.migrate import current_revision
from mdm.models import Base


def test_migrated_schema_matches_models(migrated: str) -> None:
    engine = make_engine(migrated)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert current_revision(engine) is not None
    finally:
        engine.dispose()


def test_a_merge_finds_records_merged_into_the_retired_one_by_index(migrated: str) -> None:
    # the re-pointing update of a merge ran over the whole golden_record table before 0007
    from sqlalchemy import inspect, text

    engine = make_engine(migrated)
    try:
        indexes = {i["name"]: i for i in inspect(engine).get_indexes("golden_record")}
        assert indexes["ix_golden_merged_into"]["column_names"] == ["merged_into"]
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                plan = conn.execute(text("EXPLAIN QUERY PLAN UPDATE golden_record SET merged_into = 'G1' "
                                         "WHERE merged_into IN ('G2', 'G3')")).all()
            assert any("USING INDEX ix_golden_merged_into" in row[3] for row in plan), plan
    finally:
        engine.dispose()


def test_merge_chains_and_identifiers_are_read_from_indexes_alone(migrated: str) -> None:
    # before 0012 each look-up read the golden record's row (with its data) or the identifier rows
    from sqlalchemy import inspect, text

    from mdm.services.tasks import _merged_select

    engine = make_engine(migrated)
    try:
        golden = {i["name"]: i for i in inspect(engine).get_indexes("golden_record")}
        ident = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("identifier")}
        chain = golden["ix_golden_merged_chain"]
        assert chain["column_names"] == ["id", "merged_into"]
        # partial: only merged records, so it stays small (alembic's comparison does not look at this)
        where = chain.get("dialect_options", {}).get(f"{engine.dialect.name}_where")
        assert where is not None and "merged_into IS NOT NULL" in str(where), chain
        assert ident["ix_identifier_golden"] == ["golden_id", "kind", "value"]
        if engine.dialect.name != "sqlite":
            return  # PostgreSQL chooses by its statistics
        with engine.connect() as conn:
            chain = str(_merged_select().params(ids=["C1", "C2"]).compile(
                engine, compile_kwargs={"literal_binds": True}))
            plans = {
                "chain": conn.execute(text("EXPLAIN QUERY PLAN " + chain)).all(),
                "identifiers": conn.execute(text("EXPLAIN QUERY PLAN SELECT golden_id, kind, value FROM identifier "
                                                 "WHERE golden_id IN ('C1', 'C2')")).all(),
            }
        assert any("COVERING INDEX ix_golden_merged_chain" in row[3] for row in plans["chain"]), plans
        assert any("COVERING INDEX ix_identifier_golden" in row[3] for row in plans["identifiers"]), plans
    finally:
        engine.dispose()


def test_quality_totals_start_from_the_runs_already_recorded(tmp_path) -> None:
    from sqlalchemy import text

    from mdm.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine, "0006")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ingest_run (id, run_uuid, system, domain, status, started_at, counts, actor) "
                              "VALUES (1, 'r1', 'mes', 'lot', 'complete', '2026-01-01', '{}', 'system'), "
                              "(2, 'r2', 'mes', 'lot', 'complete', '2026-01-02', '{}', 'system')"))
            conn.execute(text("INSERT INTO quality_stat (run_id, domain, system, rule_id, kind, severity, evaluated, "
                              "failed, at) VALUES (1, 'lot', 'mes', 'lot.x', 'range', 'error', 3, 1, '2026-01-01'), "
                              "(2, 'lot', 'mes', 'lot.x', 'range', 'error', 5, 2, '2026-01-02'), "
                              "(2, 'lot', 'mes', 'lot.x', 'range', 'warning', 7, 0, '2026-01-02'), "
                              "(2, 'lot', 'lims', 'lot.x', 'range', 'error', 4, 4, '2026-01-02')"))
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT system, severity, evaluated, failed FROM quality_total "
                                     "ORDER BY system, severity")).all()
        # per system and per severity the rule had when it ran
        assert [tuple(r) for r in rows] == [("lims", "error", 4, 4), ("mes", "error", 8, 3), ("mes", "warning", 7, 0)]
    finally:
        engine.dispose()


def test_blocking_key_counts_move_to_a_table_without_rowid_and_back(tmp_path) -> None:
    from sqlalchemy import text

    from mdm.migrate import upgrade

    def ddl(conn) -> str:  # type: ignore[no-untyped-def]
        return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'match_key_count'")).scalar()

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    rows = [("customer", "*", 3), ("customer", "name=mercy", 2), ("lot", "*", 1)]
    try:
        upgrade(engine, "0007")
        with engine.begin() as conn:
            assert "WITHOUT ROWID" not in ddl(conn)
            conn.execute(text('INSERT INTO match_key_count (domain, "key", n) VALUES (:d, :k, :n)'),
                         [{"d": d, "k": k, "n": n} for d, k, n in rows])
        upgrade(engine, "0008")
        with engine.begin() as conn:
            assert ddl(conn).rstrip().endswith("WITHOUT ROWID")
            assert [tuple(r) for r in conn.execute(text('SELECT domain, "key", n FROM match_key_count '
                                                        'ORDER BY domain, "key"'))] == rows
            # one B-tree: a count is read from the table itself, no separate index
            plan = conn.execute(text("EXPLAIN QUERY PLAN SELECT n FROM match_key_count "
                                     "WHERE domain = 'customer' AND \"key\" IN ('*', 'x')")).all()
            assert any("USING PRIMARY KEY" in row[3] for row in plan), plan
        from alembic import command

        from mdm.migrate import alembic_config

        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        with engine.connect() as conn:
            assert "WITHOUT ROWID" not in ddl(conn)
            assert [tuple(r) for r in conn.execute(text('SELECT domain, "key", n FROM match_key_count '
                                                        'ORDER BY domain, "key"'))] == rows
    finally:
        engine.dispose()


def test_0009_audit_trail_keeps_its_chain_without_the_hash_index_and_identifiers_read_no_row(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text
    from sqlalchemy.orm import Session

    from mdm.audit import log
    from mdm.migrate import alembic_config, upgrade

    def hash_unique(engine) -> bool:  # type: ignore[no-untyped-def]
        found = inspect(engine).get_unique_constraints("audit_event")
        return any(u["column_names"] == ["hash"] for u in found)

    key = b"test-key"
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine, "0008")
        assert hash_unique(engine)
        with Session(engine) as s:
            log.append(s, [log.entry("ana", "update", "golden_record", f"CUS-{i}", reason="r") for i in range(3)], key)
            s.commit()
        with engine.connect() as conn:
            before = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).all()
        upgrade(engine)
        assert not hash_unique(engine)
        assert {i["name"] for i in inspect(engine).get_indexes("audit_event")} == {
            "ix_audit_actor", "ix_audit_entity", "ix_audit_event_action"}
        with engine.connect() as conn:  # who holds an identifier: the index answers alone
            plan = conn.execute(text("EXPLAIN QUERY PLAN SELECT kind, scope, value, golden_id FROM identifier "
                                     "WHERE domain = 'customer' AND value IN ('a', 'b')")).all()
        assert any("COVERING INDEX ix_identifier_lookup" in row[3] for row in plan), plan
        with Session(engine) as s:
            assert s.execute(text("SELECT * FROM audit_event ORDER BY seq")).all() == before
            log.append(s, [log.entry("ana", "update", "golden_record", "CUS-9", reason="r")], key)
            s.commit()
            assert log.verify(s, key)["ok"] is True
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        assert hash_unique(engine)
        with Session(engine) as s:
            assert log.verify(s, key) == {"ok": True, "entries": 4, "first_problem": None}
    finally:
        engine.dispose()


def test_0010_source_records_get_the_payload_of_their_accepted_version(tmp_path) -> None:
    import json

    from alembic import command
    from sqlalchemy import inspect, text

    from mdm.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO source_record (id, system, domain, source_key, status, latest_version, latest_hash, "
                "accepted_version, created_at, updated_at) VALUES "
                "(1, 'crm', 'customer', 'A', 'active', 3, 'h', 2, '2026-01-01', '2026-01-01'), "
                "(2, 'crm', 'customer', 'B', 'quarantined', 1, 'h', NULL, '2026-01-01', '2026-01-01'), "
                "(3, 'crm', 'customer', 'C', 'deleted', 2, 'deleted', NULL, '2026-01-01', '2026-01-01'), "
                # deleted by an older hub, which kept the accepted version
                "(4, 'crm', 'customer', 'D', 'deleted', 2, 'deleted', 1, '2026-01-01', '2026-01-01')"))
            versions = [(1, 1, "accepted", {"name": "old"}), (1, 2, "accepted", {"name": "kept"}),
                        (1, 3, "quarantined", {"name": "bad"}), (2, 1, "quarantined", {"name": "bad"}),
                        (3, 1, "accepted", {"name": "gone"}), (3, 2, "deleted", {}),
                        (4, 1, "accepted", {"name": "gone"}), (4, 2, "deleted", {})]
            for sid, version, status, payload in versions:
                conn.execute(text("INSERT INTO source_version (source_record_id, version, status, payload, raw, "
                                  "unknown_fields, issues, content_hash, received_at) VALUES "
                                  "(:sid, :v, :st, :p, '{}', '[]', '[]', 'h', '2026-01-01')"),
                             {"sid": sid, "v": version, "st": status, "p": json.dumps(payload)})
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, accepted_payload FROM source_record ORDER BY id")).all()
        assert [(sid, json.loads(p) if p is not None else None) for sid, p in rows] == [
            (1, {"name": "kept"}), (2, None), (3, None), (4, None)]
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        assert "accepted_payload" not in {c["name"] for c in inspect(engine).get_columns("source_record")}
    finally:
        engine.dispose()


def test_0011_blocking_keys_lose_their_counts_and_get_them_back_from_the_index(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import text

    from mdm.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    keys = [("customer", "*", 1), ("customer", "*", 2), ("customer", "tf.family_name=smith", 1),
            ("customer", "fam=smith", 1), ("customer", "fam=smith", 2), ("lot", "@GAL/lot=24a1", 3)]
    counts = [("customer", "*", 2), ("customer", "fam=smith", 2), ("customer", "tf.family_name=smith", 1),
              ("lot", "@GAL/lot=24a1", 1)]

    def stored(conn) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
        return [tuple(r) for r in conn.execute(text('SELECT domain, "key", n FROM match_key_count '
                                                    'ORDER BY domain, "key"'))]
    try:
        upgrade(engine, "0010")
        with engine.begin() as conn:
            for sid in (1, 2, 3):
                conn.execute(text("INSERT INTO source_record (id, system, domain, source_key, status, latest_version, "
                                  "latest_hash, created_at, updated_at) VALUES (:i, 'crm', 'customer', :k, 'active', "
                                  "1, 'h', '2026-01-01', '2026-01-01')"), {"i": sid, "k": f"K{sid}"})
            for domain, key, sid in keys:
                conn.execute(text('INSERT INTO match_key (domain, "key", source_record_id) VALUES (:d, :k, :s)'),
                             {"d": domain, "k": key, "s": sid})
            for domain, key, n in counts:
                conn.execute(text('INSERT INTO match_key_count (domain, "key", n) VALUES (:d, :k, :n)'),
                             {"d": domain, "k": key, "n": n})
        upgrade(engine)
        with engine.connect() as conn:
            assert stored(conn) == [("customer", "*", 2), ("customer", "tf.family_name=smith", 1)]
        # who holds a blocking key, up to a limit: one search of the covering index per key, no row read
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from mdm.matching import index

        seen: list[tuple] = []  # type: ignore[type-arg]
        event.listen(engine, "before_cursor_execute", lambda c, cur, st, params, ctx, many: seen.append((st, params)))
        with Session(engine) as s:
            assert index.holders(s, "customer", {"fam=smith", "fam=jones"}, 2) == {"fam=smith": [1, 2]}
        ((statement, params),) = [(st, p) for st, p in seen if "match_key" in st]
        with engine.connect() as conn:
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
        searches = [p for p in plan if p.startswith(("SEARCH", "SCAN match_key"))]
        assert searches == ["SEARCH match_key USING COVERING INDEX ix_match_key_domain_key_source (domain=? AND key=?)"] * 2
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010")
        with engine.connect() as conn:
            assert stored(conn) == counts
    finally:
        engine.dispose()
