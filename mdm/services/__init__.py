"""Services: plain functions over a SQLAlchemy Session; the API, the CLI and tests all call these."""
