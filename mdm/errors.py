"""One exception tree for the hub; the API renders every member as application/problem+json."""

from __future__ import annotations

from typing import Any


class MDMError(Exception):
    """Base of every error the hub raises on purpose.

    Attributes:
        status: HTTP status the API answers with.
        title: short, stable summary of the problem type.
        errors: optional details by field or JSON path.
    """

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors

    @property
    def type(self) -> str:
        return "https://meddev-mdm.example/problems/" + self.title.lower().replace(" ", "-")


class NotFound(MDMError):
    status = 404
    title = "Not found"

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} does not exist")
        self.what = what
        self.key = key


class UnknownSystem(MDMError):
    status = 404
    title = "Unknown system"


class UnknownDomain(MDMError):
    status = 404
    title = "Unknown domain"


class DomainNotAllowed(MDMError):
    status = 403
    title = "Domain not allowed"


class Conflict(MDMError):
    status = 409
    title = "Conflict"


class InvalidInput(MDMError):
    status = 400
    title = "Invalid input"


class UnsupportedMediaType(MDMError):
    status = 415
    title = "Unsupported media type"


class PayloadTooLarge(MDMError):
    status = 413
    title = "Payload too large"


class ValidationFailed(MDMError):
    status = 422
    title = "Validation failed"


class GovernanceError(MDMError):
    """Dictionary, rules or lineage content is invalid.

    Attributes:
        problems: every problem found, as (file, JSON path, message) tuples, sorted.
    """

    status = 500
    title = "Invalid governance content"

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = sorted(problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in governance content",
            [{"file": f, "path": p, "message": m} for f, p, m in self.problems],
        )

    def __str__(self) -> str:
        # Server logs (gunicorn refusing to boot) show the whole list, not only the count.
        return f"{self.detail}:\n{self.report()}"

    def report(self) -> str:
        """All problems, one per line: `file: path: message`."""
        return "\n".join(f"{f}: {p}: {m}" for f, p, m in self.problems)


class PreconditionFailed(MDMError):
    """The record changed since the caller read it (If-Match names an older ETag)."""

    status = 412
    title = "Precondition failed"


class PreconditionRequired(MDMError):
    status = 428
    title = "Precondition required"
