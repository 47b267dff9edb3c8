"""OpenLineage run events of the hub (DESIGN.md §7), built from governance content: pure, no I/O.

Naming:

- jobs live in the hub's namespace (`hub.namespace` of lineage/systems.yaml): one job per system and
  domain, `mdm.ingest.<system>.<domain>`; steward actions are their own jobs, `mdm.steward.<action>`.
- an ingest run reads the dataset `<system>.<domain>` in the system's own namespace (`namespace` in
  lineage/systems.yaml). The system name is the prefix because system names start with a letter
  (systems.schema.json), so no dataset name ever starts with a digit.
- it writes the golden dataset `golden.<domain>` in the hub's namespace.

Namespaces are checked against `[a-zA-Z0-9:;=/_\\-.@+]` when the governance content is loaded.
Every facet carries the hub's `producer` (an absolute URI), never the client's default one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from openlineage.client.constants import __version__ as client_version
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    column_lineage_dataset,
    data_quality_assertions_dataset,
    error_message_run,
    execution_parameters_run,
    input_statistics_input_dataset,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    processing_engine_run,
    schema_dataset,
)

from .. import __version__
from ..governance.model import DomainMapping, Governance
from . import serialize

INTEGRATION = "MDM"
ENGINE = "meddev-mdm"
NAMESPACE_RE = re.compile(r"^[a-zA-Z0-9:;=/_\-.@+]+$")

__all__ = ["NAMESPACE_RE", "golden_dataset_name", "ingest_job_name", "run_event", "source_dataset_name",
           "steward_event", "steward_job_name"]


def ingest_job_name(system: str, domain: str) -> str:
    return f"mdm.ingest.{system}.{domain}"


def steward_job_name(action: str) -> str:
    return f"mdm.steward.{action}"


def source_dataset_name(system: str, domain: str) -> str:
    return f"{system}.{domain}"


def golden_dataset_name(domain: str) -> str:
    return f"golden.{domain}"


def run_event(gov: Governance, event_type: str | RunState, run_uuid: str, system: str, domain: str,
              event_time: dt.datetime | str, *, stats: Iterable[Mapping[str, Any]] | None = None,
              counts: Mapping[str, int] | None = None, error: str | BaseException | None = None) -> RunEvent:
    """The event of one transition of an ingest run.

    Args:
        gov: governance the run ran under (mapping, dictionary, rules, namespaces, producer).
        event_type: START, COMPLETE, FAIL (or any other OpenLineage run state).
        run_uuid: `IngestRun.run_uuid`, the OpenLineage run id.
        system: source system name; domain: canonical domain.
        event_time: when the transition happened (naive datetimes are taken as UTC).
        stats: per-rule rows of `RunStats.rows` (`rule_id`, `kind`, `severity`, `evaluated`, `failed`);
            they become the input's `dataQualityAssertions`.
        counts: results per outcome (`created`, `linked`, ...); `inputStatistics` counts every record
            received, `outputStatistics` (COMPLETE only) the records that created or fed a golden record.
        error: why the run failed; FAIL events always carry an `errorMessage`.

    Raises:
        KeyError: the system has no mapping for the domain.
    """
    state = RunState(event_type) if isinstance(event_type, str) else event_type
    when = _iso(event_time)
    producer = gov.producer
    mapping = gov.mappings[(system, domain)]
    in_ns, in_name = gov.systems[system].namespace, source_dataset_name(system, domain)

    input_facets: dict[str, InputDatasetFacet] = {}
    if stats is not None:
        input_facets["dataQualityAssertions"] = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=_assertions(gov, mapping, stats), producer=producer)
    if counts is not None:
        input_facets["inputStatistics"] = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
            rowCount=sum(counts.values()), producer=producer)
    output_facets: dict[str, OutputDatasetFacet] = {}
    if state is RunState.COMPLETE and counts is not None:
        output_facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=counts.get("created", 0) + counts.get("linked", 0), producer=producer)
    # START names the job and its datasets; what describes them (schemas, column lineage, quality
    # assertions, statistics) comes with COMPLETE or FAIL, which consumers merge into the run. It is
    # the same for every run of the job, so it is built once per governance, system and domain.
    source_facets: dict[str, DatasetFacet] | None = None
    golden_facets: dict[str, DatasetFacet] | None = None
    if state is not RunState.START:
        source_facets, golden_facets = _static_facets(gov, system, domain)

    run_facets = _engine(producer)
    if state is RunState.START:
        run_facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(nominalStartTime=when, producer=producer)
    if error is not None or state is RunState.FAIL:
        run_facets["errorMessage"] = _error(error, producer)
    return RunEvent(
        eventType=state, eventTime=when, producer=producer,
        run=Run(runId=run_uuid, facets=run_facets),
        job=_job(gov, ingest_job_name(system, domain), "INGEST"),
        inputs=[InputDataset(namespace=in_ns, name=in_name, facets=source_facets,
                             inputFacets=input_facets or None)],
        outputs=[OutputDataset(namespace=gov.hub_namespace, name=golden_dataset_name(domain),
                               facets=golden_facets, outputFacets=output_facets or None)],
    )


_STATIC: dict[tuple[int, str, str], tuple[Governance, dict[str, DatasetFacet], dict[str, DatasetFacet]]] = {}


def _static_facets(gov: Governance, system: str,
                   domain: str) -> tuple[dict[str, DatasetFacet], dict[str, DatasetFacet]]:
    """(source dataset facets, golden dataset facets) of the job: built and converted once, shared by
    every event of it afterwards (read-only; the dicts handed out are fresh)."""
    key = (id(gov), system, domain)
    hit = _STATIC.get(key)
    if hit is None or hit[0] is not gov:  # the entry holds `gov`, so its id is not reused meanwhile
        if len(_STATIC) > 32:  # each entry keeps a governance alive
            _STATIC.clear()
        mapping = gov.mappings[(system, domain)]
        in_ns, in_name = gov.systems[system].namespace, source_dataset_name(system, domain)
        source: dict[str, DatasetFacet] = {"schema": _source_schema(gov, mapping)}
        golden: dict[str, DatasetFacet] = {"schema": _golden_schema(gov, domain),
                                           "columnLineage": _column_lineage(gov, mapping, in_ns, in_name)}
        for facet in (*source.values(), *golden.values()):
            serialize.remember(facet)
        hit = _STATIC[key] = (gov, source, golden)
    return dict(hit[1]), dict(hit[2])


def steward_event(gov: Governance, action: str, run_uuid: str, golden_id: str, domain: str,
                  event_time: dt.datetime | str, actor: str, reason: str | None) -> RunEvent:
    """A steward action (merge, unmerge, correction...) as one COMPLETE run of the job `mdm.steward.<action>`.

    The golden dataset is both read and written; who did it, to which record and why are the run's
    `executionParameters`.
    """
    producer = gov.producer
    params = [("golden_id", golden_id), ("domain", domain), ("actor", actor), ("reason", reason)]
    run_facets = _engine(producer)
    run_facets["executionParameters"] = execution_parameters_run.ExecutionParametersRunFacet(
        parameters=[execution_parameters_run.ExecutionParameter(key=k, value=v) for k, v in params if v is not None],
        producer=producer)
    golden = golden_dataset_name(domain)
    return RunEvent(
        eventType=RunState.COMPLETE, eventTime=_iso(event_time), producer=producer,
        run=Run(runId=run_uuid, facets=run_facets),
        job=_job(gov, steward_job_name(action), "STEWARD_ACTION"),
        inputs=[InputDataset(namespace=gov.hub_namespace, name=golden)],
        outputs=[OutputDataset(namespace=gov.hub_namespace, name=golden)],
    )


# -- facets ------------------------------------------------------------------------------------


def _job(gov: Governance, name: str, job_type: str) -> Job:
    facets: dict[str, JobFacet] = {"jobType": job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration=INTEGRATION, jobType=job_type, producer=gov.producer)}
    return Job(namespace=gov.hub_namespace, name=name, facets=facets)


def _engine(producer: str) -> dict[str, RunFacet]:
    return {"processing_engine": processing_engine_run.ProcessingEngineRunFacet(
        version=__version__, name=ENGINE, openlineageAdapterVersion=client_version, producer=producer)}


def _error(error: str | BaseException | None, producer: str) -> error_message_run.ErrorMessageRunFacet:
    if isinstance(error, BaseException):
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return error_message_run.ErrorMessageRunFacet(
            message=f"{type(error).__name__}: {error}", programmingLanguage="python",
            stackTrace=trace if error.__traceback__ else None, producer=producer)
    return error_message_run.ErrorMessageRunFacet(message=error or "the ingest run failed",
                                                  programmingLanguage="python", producer=producer)


def _source_schema(gov: Governance, mapping: DomainMapping) -> schema_dataset.SchemaDatasetFacet:
    """The source fields the mapping knows: the key, the mapped fields, then the ignored ones."""
    if mapping.identity:
        cols = [_column(mapping.key, "string", "record key")]
        cols += [_column(f.name, f.type, f.label)
                 for f in gov.domains[mapping.domain].fields.values() if f.name != mapping.key]
        return schema_dataset.SchemaDatasetFacet(fields=cols, producer=gov.producer)
    targets: dict[str, list[str]] = {}
    for fm in mapping.fields:
        if fm.source:
            targets.setdefault(fm.source, []).append(fm.target)
    key_note = "record key" + ("; mapped to " + ", ".join(targets[mapping.key]) if mapping.key in targets else "")
    cols = [_column(mapping.key, description=key_note)]
    cols += [_column(src, description="mapped to " + ", ".join(tgts))
             for src, tgts in targets.items() if src != mapping.key]
    cols += [_column(src, description="not used by the hub")
             for src in sorted(mapping.ignore - set(targets) - {mapping.key})]
    return schema_dataset.SchemaDatasetFacet(fields=cols, producer=gov.producer)


def _column(name: str, type_: str | None = None,
            description: str | None = None) -> schema_dataset.SchemaDatasetFacetFields:
    # no nested `fields`: records are flat, and an empty list would only add noise to every event
    return schema_dataset.SchemaDatasetFacetFields(name=name, type=type_, description=description, fields=None)


def _golden_schema(gov: Governance, domain: str) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[_column(f.name, f.type, f.label) for f in gov.domains[domain].fields.values()],
        producer=gov.producer)


def _column_lineage(gov: Governance, mapping: DomainMapping, namespace: str,
                    name: str) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Canonical field <- source field, with the mapping's transforms as the transformation."""
    cl = column_lineage_dataset
    if mapping.identity:
        pairs: list[tuple[str, str, list[Any]]] = [(f, f, []) for f in gov.domains[mapping.domain].fields]
    else:
        pairs = [(fm.target, fm.source, fm.specs) for fm in mapping.fields if fm.source]
    out: dict[str, cl.Fields] = {}
    for target, source, specs in pairs:
        described = ", ".join(_describe(s) for s in specs) or "copied unchanged"
        subtype = "TRANSFORMATION" if specs else "IDENTITY"
        transformation = cl.Transformation(type="DIRECT", subtype=subtype, description=described)
        out[target] = cl.Fields(
            inputFields=[cl.InputField(namespace=namespace, name=name, field=source,
                                       transformations=[transformation])],
            # the deprecated pair is what older consumers (Marquez) still read
            transformationDescription=described, transformationType="IDENTITY" if not specs else None)
    return cl.ColumnLineageDatasetFacet(fields=out, dataset=None, producer=gov.producer)


def _describe(spec: Any) -> str:
    """`trim`, `multiply(30)`, `code(7 values)`: short enough for a lineage UI."""
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return spec if isinstance(spec, str) else json.dumps(spec, sort_keys=True, default=str)
    ((name, arg),) = spec.items()
    if isinstance(arg, (Mapping, list)):
        text = json.dumps(arg, sort_keys=True, ensure_ascii=False, default=str)
        return f"{name}({len(arg)} values)" if len(text) > 60 else f"{name}({text})"
    return f"{name}({arg})"


def _assertions(gov: Governance, mapping: DomainMapping,
                stats: Iterable[Mapping[str, Any]]) -> list[data_quality_assertions_dataset.Assertion]:
    """One assertion per rule row; `column` is the source column feeding the rule's field.

    Rules run on canonical fields, but the assertions belong to the input dataset, whose schema lists
    the source columns: so the column is the source column (the canonical field is in `params`).
    """
    domain = gov.domains[mapping.domain]
    if mapping.identity:
        source_of = {n: n for n in domain.fields}
    else:
        source_of = {fm.target: fm.source for fm in mapping.fields if fm.source}
    configured = {c.rule.id: c.rule for c in gov.rules[mapping.domain].checks}
    out = []
    for row in stats:
        rid, evaluated, failed = row["rule_id"], int(row["evaluated"]), int(row["failed"])
        field = _rule_field(rid, mapping.domain, set(domain.fields), configured)
        params: dict[str, Any] = {"evaluated": evaluated, "failed": failed}
        if field:
            params["field"] = field
        out.append(data_quality_assertions_dataset.Assertion(
            assertion=rid, success=failed == 0, column=source_of.get(field) if field else None,
            severity=row.get("severity"), name=row.get("kind"), expected="0", actual=str(failed),
            description=f"{failed} of {evaluated} records failed", params=params))
    return out


def _rule_field(rule_id: str, domain: str, fields: set[str], configured: Mapping[str, Any]) -> str | None:
    """The field of `<domain>.<field>.<rule>`, else the `field` parameter of the configured rule."""
    parts = rule_id.split(".")
    if len(parts) == 3 and parts[0] == domain and parts[1] in fields:
        return parts[1]
    rule = configured.get(rule_id)
    field = (getattr(rule, "params", None) or {}).get("field")
    return field if field in fields else None


def _iso(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat()
