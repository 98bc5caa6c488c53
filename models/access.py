"""Consumers of the API and their tokens (stored hashed, never in clear)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import json_field, timestamp

SCOPES = ("read", "restricted", "admin")  # restricted: the restricted producers' records


class Consumer(SQLModel, table=True):
    """An organisation or an application reading the API, with the terms of use it accepted."""

    __tablename__ = "consumer"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    contact: str | None = Field(default=None, max_length=320)
    cgu_version: str = Field(max_length=32)  # version of the terms of use (CGU) accepted
    cgu_accepted_on: date
    created_at: datetime = timestamp()
    disabled_at: datetime | None = timestamp(nullable=True)
    # what it said it would do with the data (the sign-up page asks)
    intended_use: str | None = Field(default=None, max_length=2000)
    # signed up on the page while approval is required: its tokens work once an operator
    # approves it (`gateway consumer approve`)
    awaiting_approval: bool = Field(default=False)
    approved_at: datetime | None = timestamp(nullable=True)


class Token(SQLModel, table=True):
    """A bearer token of a consumer, or of a producer: only its SHA-256 is stored; `prefix`
    names it in lists."""

    __tablename__ = "token"

    id: int | None = Field(default=None, primary_key=True)
    # a consumer's token reads the API; a producer's (source_slug set, no consumer) checks and
    # submits that source's files and reads nothing
    consumer_id: int | None = Field(default=None, foreign_key="consumer.id", index=True)
    source_slug: str | None = Field(
        default=None, foreign_key="source.slug", index=True, max_length=64
    )
    prefix: str = Field(max_length=16, index=True)  # the first characters, shown in lists
    sha256: str = Field(max_length=64, unique=True)
    scopes: list[Any] = json_field(default=[])
    # browser origins a front-end-safe token may be used from (empty: any, or no browser)
    origins: list[Any] = json_field(default=[])
    label: str | None = Field(default=None, max_length=200)
    # trusted documents: the token may only run the documents registered for it
    trusted_documents_only: bool = Field(default=False)
    created_at: datetime = timestamp()
    expires_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)


class TrustedDocument(SQLModel, table=True):
    """A GraphQL document a front-end app registered for one of its tokens (trusted documents):
    requests with that token name it by hash, or send exactly its text."""

    __tablename__ = "trusted_document"
    __table_args__ = (UniqueConstraint("token_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="token.id", index=True)
    sha256: str = Field(max_length=64)  # of the document's text, as sent
    body: str
    name: str | None = Field(default=None, max_length=200)  # its operation's name, if one
    created_at: datetime = timestamp()
