"""Reading the documents a front-end app registers for a trusted-documents token: `.graphql`
files (one document each) and JSON manifests (Apollo's persisted query manifest, or an object
mapping each document's hash to its text). Every document must parse and be valid against the
schema, and a hash a manifest gives must be the SHA-256 of the text: the error names the file
and the entry, and nothing is registered."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, parse, validate

MAX_DOCUMENT_BYTES = 200_000
NAME_LENGTH = 200  # trusted_document.name


class DocumentError(ValueError):
    """A document or a manifest cannot be registered; the message says which and why."""


@dataclass(frozen=True)
class Document:
    sha256: str
    body: str
    name: str | None
    origin: str  # the file (and the entry) it came from


def read_documents(paths: Sequence[Path]) -> list[Document]:
    from gateway.schema import build_schema

    schema = build_schema([])._schema
    found: dict[str, Document] = {}
    for path in paths:
        for origin, given, body in _entries(path):
            if len(body.encode()) > MAX_DOCUMENT_BYTES:
                raise DocumentError(f"{origin}: larger than {MAX_DOCUMENT_BYTES} bytes")
            digest = hashlib.sha256(body.encode()).hexdigest()
            if given is not None and given.removeprefix("sha256:").lower() != digest:
                raise DocumentError(
                    f"{origin}: the manifest says {given}, but the SHA-256 of the document's "
                    f"text is {digest}"
                )
            try:
                document = parse(body)
            except GraphQLError as exc:
                raise DocumentError(f"{origin}: {exc.message}") from None
            errors = validate(schema, document)
            if errors:
                raise DocumentError(f"{origin}: {errors[0].message}")
            names = [
                d.name.value
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode) and d.name is not None
            ]
            name = ", ".join(names)[:NAME_LENGTH] or None  # the column's length
            found.setdefault(digest, Document(digest, body, name, origin))
    if not found:
        raise DocumentError("no document in the files given")
    return list(found.values())


def _entries(path: Path) -> Iterator[tuple[str, str | None, str]]:
    """(where, the hash given if any, the text) of each document of a file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read it ({exc.strerror})") from None
    if path.suffix.lower() != ".json":
        yield str(path), None, raw.decode("utf-8", errors="replace")
        return
    try:
        manifest: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DocumentError(f"{path}: not JSON ({exc})") from None
    if isinstance(manifest, dict) and isinstance(manifest.get("operations"), list):
        for i, op in enumerate(manifest["operations"]):
            if not isinstance(op, dict) or not isinstance(op.get("body"), str):
                raise DocumentError(f"{path}: operations[{i}] has no `body` text")
            given = op.get("id")
            yield f"{path} operations[{i}]", given if isinstance(given, str) else None, op["body"]
    elif isinstance(manifest, dict) and all(isinstance(v, str) for v in manifest.values()):
        for given, body in manifest.items():
            yield f"{path} [{given}]", given, body
    else:
        raise DocumentError(
            f"{path}: not a manifest (expected Apollo's persisted query manifest, with "
            "`operations`, or an object of hash: document)"
        )
