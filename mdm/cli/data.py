"""Moving data in and out: generate, load, export."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from ..auth.roles import ROLES
from ..governance.model import DOMAINS, Governance
from ..lineage import emitter as lineage_emitter
from . import cli, make_app


def generate_files(gov: Governance, seed: int, scale: int, out: Path) -> list[tuple[str, str, Path, int]]:
    from ..demo.export_files import write_files
    from ..demo.generator import generate, write_truth

    records = generate(seed=seed, scale=scale)
    written = write_files(gov, records, out)
    write_truth(records, out / "truth.csv")
    return written


@cli.command()
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def generate(ctx: click.Context, seed: int, scale: int, out: Path) -> None:
    """Write deterministic demo records per system and domain, plus truth.csv (the real entities)."""
    from ..governance import load_governance
    from ..settings import content_extra

    gov = load_governance(ctx.obj["CONTENT_DIR"] or None, content_extra(ctx.obj))
    files = generate_files(gov, seed, scale, out)
    for system, domain, path, n in files:
        click.echo(f"{n:8d}  {system:16} {domain:10} {path}")
    click.echo(f"{sum(n for *_, n in files):8d}  records; ground truth in {out / 'truth.csv'}")


def load_file(app: Any, system: str, domain: str, path: Path, fmt: str | None, progress: bool) -> Any:
    from ..demo.export_files import read_file
    from ..governance import current
    from ..services.ingest import Ingestor, check_target

    with app.app_context():
        gov = current()
        check_target(gov, system, domain)
        records = read_file(path, fmt)
        ingestor = Ingestor(app.extensions["mdm.sessionmaker"], gov, system, domain, actor=f"cli:{system}",
                            chunk_size=app.config["INGEST_CHUNK_SIZE"],
                            rules_enabled=bool(app.config["QUALITY_RULES"]),
                            lineage=lineage_emitter(app))
        if not progress:
            return ingestor.run(records)
        from tqdm import tqdm

        with tqdm(total=len(records), unit="rec", desc=f"{system}/{domain}", file=sys.stderr) as bar:
            return ingestor.run(records, progress=bar.update)


@cli.command()
@click.option("--system", required=True)
@click.option("--domain", required=True, type=click.Choice(DOMAINS))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson"]), help="default: by file extension")
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON object")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load(ctx: click.Context, system: str, domain: str, fmt: str | None, as_json: bool, file: Path) -> None:
    """Ingest FILE (CSV, JSON array or NDJSON) as records of SYSTEM in DOMAIN."""
    from ..migrate import upgrade

    app = make_app(ctx)
    upgrade(app.extensions["mdm.engine"])
    summary = load_file(app, system, domain, file, fmt, progress=sys.stderr.isatty() and not as_json)
    if as_json:
        click.echo(json.dumps(summary.to_dict(with_results=False)))
        return
    click.echo(f"{summary.system}/{summary.domain}: {sum(summary.counts.values())} records in {summary.seconds:.2f}s "
               f"(run {summary.run_id})")
    click.echo("  " + "  ".join(f"{k}={v}" for k, v in summary.counts.items()))
    for r in summary.results:
        if r.result in ("quarantined", "rejected"):
            reasons = "; ".join(x["message"] for x in r.reasons)
            click.echo(f"  {r.result}: #{r.position} {r.source_key or ''}: {reasons}")


@cli.command()
@click.argument("what", type=click.Choice(["golden", "xref"]))
@click.option("--domain", required=True, type=click.Choice(DOMAINS))
@click.option("--format", "fmt", type=click.Choice(["csv", "ndjson"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.option("--for-role", "role", type=click.Choice(ROLES), default="consumer", show_default=True,
              help="mask the fields this role has no clearance for (personal, confidential); steward or auditor: none")
@click.pass_context
def export(ctx: click.Context, what: str, domain: str, fmt: str, out: Path | None, role: str) -> None:
    """Export golden records or xref rows (system,source_key,golden_id) of a domain."""
    from ..auth.masking import mask, sensitive_fields
    from ..auth.roles import clearance
    from ..migrate import require_current

    app = make_app(ctx)
    require_current(app.extensions["mdm.engine"])
    with app.app_context():
        rows = _golden_rows(app, domain) if what == "golden" else _xref_rows(app, domain)
        hidden = sensitive_fields(app.extensions["mdm.governance"], clearance(role), domain)
        if what == "golden" and hidden:
            rows = ({**r, "data": mask(r["data"], hidden)} for r in rows)
        fh = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            if fmt == "ndjson":
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                gov = app.extensions["mdm.governance"]
                header = (["id", "status", "merged_into", "version", *gov.domains[domain].fields]
                          if what == "golden" else ["system", "source_key", "golden_id"])
                writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
                writer.writeheader()
                for row in rows:
                    writer.writerow(_csv_row({**row.pop("data", {}), **row}) if what == "golden" else row)
        finally:
            if out:
                fh.close()


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in row.items()}


def _golden_rows(app: Any, domain: str, page: int = 2000) -> Iterator[dict[str, Any]]:
    from ..models import GoldenRecord

    factory = app.extensions["mdm.sessionmaker"]
    after = ""
    while True:
        with factory() as s:
            batch = s.scalars(select(GoldenRecord).where(GoldenRecord.domain == domain, GoldenRecord.id > after)
                              .order_by(GoldenRecord.id).limit(page)).all()
        if not batch:
            return
        for g in batch:
            yield {"id": g.id, "status": g.status, "merged_into": g.merged_into, "version": g.version, "data": g.data}
        after = batch[-1].id


def _xref_rows(app: Any, domain: str, page: int = 5000) -> Iterator[dict[str, Any]]:
    from ..models import SourceRecord

    factory = app.extensions["mdm.sessionmaker"]
    after = 0
    while True:
        with factory() as s:
            batch = s.execute(select(SourceRecord.id, SourceRecord.system, SourceRecord.source_key, SourceRecord.golden_id)
                              .where(SourceRecord.domain == domain, SourceRecord.id > after,
                                     SourceRecord.golden_id.is_not(None), SourceRecord.status != "deleted")
                              .order_by(SourceRecord.id).limit(page)).all()
        if not batch:
            return
        for row in batch:
            yield {"system": row.system, "source_key": row.source_key, "golden_id": row.golden_id}
        after = batch[-1].id
