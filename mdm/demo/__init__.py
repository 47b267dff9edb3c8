"""Demo data: a deterministic generator of source records with ground truth (see `generator`)."""
