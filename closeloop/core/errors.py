"""Domain errors that views and the API turn into messages a person can act on."""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out; `field` names the input at fault, if any."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class ConflictError(DomainError):
    """The request clashes with existing data (a duplicate email, a used invitation)."""

    status = 409


class NotFoundError(DomainError):
    """The object does not exist or belongs to another organization."""

    status = 404
