"""Command-line commands of access: consumers (with the terms of use they accepted) and their
tokens (create, list, revoke). A token is printed once, at creation; only its hash is kept."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway import access, trusted
from gateway.cli_ingest import CommandFailed, _print_json, _run
from gateway.settings import Settings
from models.access import SCOPES


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandFailed(f"{what} must be a date (YYYY-MM-DD), got {value!r}") from None


def end_of_day(day: date) -> datetime:
    """When a token whose last day is `day` stops working: the next midnight, UTC."""
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


def last_day(expires_at: datetime) -> date:
    """The last day a token stopping at `expires_at` works (UTC)."""
    if expires_at.tzinfo is None:  # stored in UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    return (expires_at.astimezone(UTC) - timedelta(microseconds=1)).date()


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """A store row for --json: its dates and times in ISO 8601."""
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}


async def _consumer(conn: AsyncConnection, key: str, hint: str = "") -> dict[str, Any]:
    """The consumer named `key` (or of that id); CommandFailed, saying `hint`, without one."""
    from store import access as store

    consumer = await store.consumer_by_name_or_id(conn, key)
    if consumer is None:
        raise CommandFailed(f"no consumer {key!r}{hint}")
    return consumer


def cmd_consumer_create(settings: Settings, args: argparse.Namespace) -> None:
    from store import access as store

    accepted = _date(args.cgu_date, "--cgu-date")

    async def work(engine: AsyncEngine) -> int:
        async with engine.begin() as conn:
            if await store.consumer_by_name_or_id(conn, args.name) is not None:
                raise CommandFailed(f"a consumer named {args.name!r} exists already")
            return await store.create_consumer(
                conn,
                name=args.name,
                contact=args.contact,
                cgu_version=args.cgu_version,
                cgu_accepted_on=accepted,
                now=datetime.now(UTC),
            )

    consumer_id = _run(settings, work)
    if args.json:
        _print_json({"id": consumer_id, "name": args.name})
    else:
        print(f"consumer {consumer_id} {args.name!r} created (CGU {args.cgu_version}, {accepted})")


def cmd_consumer_approve(settings: Settings, args: argparse.Namespace) -> None:
    """A consumer that signed up on the page while approval is required: its token works from
    now on (within GATEWAY_TOKEN_CACHE_SECONDS in running processes)."""
    from store import access as store

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.begin() as conn:
            consumer = await _consumer(conn, args.consumer)
            if not await store.approve_consumer(conn, consumer["id"], datetime.now(UTC)):
                raise CommandFailed(f"consumer {consumer['name']!r} awaits no approval")
            return consumer

    consumer = _run(settings, work)
    if args.json:
        _print_json({"id": consumer["id"], "name": consumer["name"], "approved": True})
        return
    print(
        f"consumer {consumer['id']} {consumer['name']!r} approved: its tokens work (running "
        f"gateway processes accept them within {settings.token_cache_seconds} s)"
    )


def cmd_consumer_list(settings: Settings, args: argparse.Namespace) -> None:
    from store import access as store

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            return await store.list_consumers(conn, args.awaiting)

    rows = _run(settings, work)
    if args.json:
        _print_json([_jsonable(r) for r in rows])
        return
    for r in rows:
        state = (
            "disabled"
            if r["disabled_at"]
            else "awaiting-approval"
            if r["awaiting_approval"]
            else "active"
        )
        print(
            f"{r['id']}  {state}  {r['name']!r}  CGU {r['cgu_version']} ({r['cgu_accepted_on']})"
            + (f"  {r['contact']}" if r["contact"] else "")
            + (f"  use: {r['intended_use']}" if r["intended_use"] else "")
        )
    if not rows:
        print("no consumers")


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> None:
    from store import access as store

    if args.producer:
        cmd_producer_token_create(settings, args)
        return
    if not args.consumer:
        raise CommandFailed("give the consumer's name or id, or --producer SLUG")
    try:
        scopes = access.check_scopes([s.strip() for s in args.scopes.split(",") if s.strip()])
    except ValueError as exc:
        raise CommandFailed(f"--scopes: {exc}") from None
    if not scopes:
        raise CommandFailed(f"--scopes: give at least one of {', '.join(SCOPES)}")
    expires = None
    if args.expires:
        expires = end_of_day(_date(args.expires, "--expires"))
        if expires <= datetime.now(UTC):
            raise CommandFailed("--expires is the last day the token works: today or later")
    token = access.new_token()

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.begin() as conn:
            hint = ": create it with `gateway consumer create`"
            consumer = await _consumer(conn, args.consumer, hint)
            token_id = await store.create_token(
                conn,
                consumer_id=consumer["id"],
                prefix=token[: access.PREFIX_LENGTH],
                sha256=access.token_hash(token),
                scopes=scopes,
                origins=args.origin or [],
                label=args.label,
                expires_at=expires,
                now=datetime.now(UTC),
                trusted_documents_only=args.trusted_documents,
            )
            return {"id": token_id, "consumer": consumer["name"]}

    created = _run(settings, work)
    doc = {
        **created,
        "token": token,
        "prefix": token[: access.PREFIX_LENGTH],
        "scopes": scopes,
        "origins": args.origin or [],
        "expires_at": expires.isoformat() if expires else None,  # the instant it stops
        "last_day": last_day(expires).isoformat() if expires else None,
        "trusted_documents_only": args.trusted_documents,
    }
    if args.json:
        _print_json(doc)
        return
    print(token)
    print(
        f"token {doc['prefix']} for {created['consumer']}: scopes {', '.join(scopes)}"
        + (f", origins {', '.join(doc['origins'])}" if doc["origins"] else "")
        + (f", works through {last_day(expires)} (UTC)" if expires else "")
        + (", trusted documents only" if args.trusted_documents else "")
        + " — shown once: keep it now, only its hash is stored"
    )
    if args.trusted_documents:
        print(
            f"register its documents: gateway token documents {doc['prefix']} FILE.graphql…",
            file=sys.stderr,
        )


def cmd_producer_token_create(settings: Settings, args: argparse.Namespace) -> None:
    """A producer's token: it checks and submits one source's files and reads nothing."""
    from ingestion import mapping_file
    from store import access as store

    if args.consumer:
        raise CommandFailed(
            "a producer's token belongs to its source: give --producer or a consumer"
        )
    if args.scopes != "read" or args.origin or args.trusted_documents:
        raise CommandFailed(
            "a producer's token has no scopes, origins or trusted documents: it checks and "
            "submits its source's files and nothing else"
        )
    slug = args.producer
    try:
        mapping_file.load(slug, settings.producers_dir)  # a registered source, with a usable entry
    except mapping_file.MappingError as exc:
        raise CommandFailed(str(exc)) from None
    expires = None
    if args.expires:
        expires = end_of_day(_date(args.expires, "--expires"))
        if expires <= datetime.now(UTC):
            raise CommandFailed("--expires is the last day the token works: today or later")
    token = access.new_token()

    async def work(engine: AsyncEngine) -> int:
        async with engine.begin() as conn:
            return await store.create_token(
                conn,
                consumer_id=None,
                source_slug=slug,
                prefix=token[: access.PREFIX_LENGTH],
                sha256=access.token_hash(token),
                scopes=[],
                origins=[],
                label=args.label,
                expires_at=expires,
                now=datetime.now(UTC),
            )

    token_id = _run(settings, work)  # `prepare` has written the registry's sources
    doc = {
        "id": token_id,
        "producer": slug,
        "token": token,
        "prefix": token[: access.PREFIX_LENGTH],
        "expires_at": expires.isoformat() if expires else None,
        "last_day": last_day(expires).isoformat() if expires else None,
    }
    if args.json:
        _print_json(doc)
        return
    print(token)
    print(
        f"token {doc['prefix']} for the producer {slug}: checks and submits its files "
        f"(POST /producers/{slug}/check, /producers/{slug}/submit)"
        + (f", works through {last_day(expires)} (UTC)" if expires else "")
        + " — shown once: keep it now, only its hash is stored"
    )


def cmd_token_documents(settings: Settings, args: argparse.Namespace) -> None:
    from store import access as store

    try:
        entries = trusted.read_documents([Path(p) for p in args.files])
    except trusted.DocumentError as exc:
        raise CommandFailed(str(exc)) from None
    prefix = args.prefix[: access.PREFIX_LENGTH]

    async def work(engine: AsyncEngine) -> int:
        async with engine.begin() as conn:
            token = await store.token_by_prefix(conn, prefix)
            if token is None:
                raise CommandFailed(f"no live token with the prefix {prefix!r}")
            if not token["trusted_documents_only"]:
                raise CommandFailed(
                    f"token {prefix} runs any document; trusted documents are for a token "
                    "created with `gateway token create … --trusted-documents`"
                )
            return await store.add_trusted_documents(
                conn,
                token["id"],
                [(e.sha256, e.body, e.name) for e in entries],
                datetime.now(UTC),
            )

    added = _run(settings, work)
    if args.json:
        _print_json(
            {
                "added": added,
                "documents": [{"id": f"sha256:{e.sha256}", "name": e.name} for e in entries],
            }
        )
        return
    for e in entries:
        print(f"sha256:{e.sha256}  {e.name or '(anonymous)'}  {e.origin}")
    print(
        f"{added} new, {len(entries) - added} registered already, for token {prefix} "
        f"(gateway processes accept them within {settings.token_cache_seconds} s)"
    )


def cmd_token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    from store import access as store

    prefix = args.prefix[: access.PREFIX_LENGTH]
    if len(prefix) < access.PREFIX_LENGTH:
        raise CommandFailed(
            f"give the token's prefix ({access.PREFIX_LENGTH} characters, see `gateway token "
            "list`) or the token itself"
        )

    async def work(engine: AsyncEngine) -> int:
        async with engine.begin() as conn:
            return await store.revoke_tokens(conn, prefix, datetime.now(UTC))

    revoked = _run(settings, work)
    if not revoked:
        raise CommandFailed(f"no live token with the prefix {prefix!r}")
    print(
        f"revoked {revoked} token(s) {prefix} (gateway processes stop accepting it within "
        f"{settings.token_cache_seconds} s)"
    )


def cmd_token_list(settings: Settings, args: argparse.Namespace) -> None:
    from store import access as store

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            consumer_id = (await _consumer(conn, args.consumer))["id"] if args.consumer else None
            return await store.list_tokens(conn, consumer_id, args.producer)

    rows = _run(settings, work)
    if args.json:
        _print_json(
            [
                _jsonable(r)
                | {"last_day": last_day(r["expires_at"]).isoformat() if r["expires_at"] else None}
                for r in rows
            ]
        )
        return
    now = datetime.now(UTC)
    for r in rows:
        state = (
            "revoked"
            if r["revoked_at"]
            else "expired"
            if r["expires_at"] and r["expires_at"] <= now
            else "live"
        )
        owner = r["consumer"] if r["producer"] is None else f"producer:{r['producer']}"
        print(
            f"{r['prefix']}  {state:7}  {owner}  {','.join(r['scopes']) or '-'}"
            + (f"  origins={','.join(r['origins'])}" if r["origins"] else "")
            + (f"  last-day={last_day(r['expires_at'])}" if r["expires_at"] else "")
            + (f"  trusted-documents={r['documents']}" if r["trusted_documents_only"] else "")
            + (f"  {r['label']}" if r["label"] else "")
        )
    if not rows:
        print("no tokens")


def register(sub: Any) -> None:
    consumer = sub.add_parser("consumer", help="consumers of the API")
    consumer_sub = consumer.add_subparsers(dest="consumer_command", required=True, metavar="CMD")
    create = consumer_sub.add_parser("create", help="a consumer and the terms of use it accepted")
    create.add_argument("name", help="the consumer's name (unique)")
    create.add_argument("--cgu-version", required=True, help="version of the terms accepted")
    create.add_argument("--cgu-date", required=True, help="when it accepted them (YYYY-MM-DD)")
    create.add_argument("--contact", help="who to write to (an address)")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_consumer_create)
    approve = consumer_sub.add_parser(
        "approve", help="approve a consumer that signed up on the page (its token then works)"
    )
    approve.add_argument("consumer", help="the consumer's id or name")
    approve.add_argument("--json", action="store_true")
    approve.set_defaults(func=cmd_consumer_approve)
    listing_consumers = consumer_sub.add_parser("list", help="consumers and their state")
    listing_consumers.add_argument(
        "--awaiting", action="store_true", help="only those awaiting approval"
    )
    listing_consumers.add_argument("--json", action="store_true")
    listing_consumers.set_defaults(func=cmd_consumer_list)

    token = sub.add_parser("token", help="consumers' tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="CMD")
    new = token_sub.add_parser("create", help="a new token (printed once)")
    new.add_argument("consumer", nargs="?", help="the consumer's name or id")
    new.add_argument(
        "--producer",
        metavar="SLUG",
        help="a producer's token instead: it checks and submits this source's files, nothing else",
    )
    new.add_argument("--scopes", default="read", help=f"comma-separated, among {', '.join(SCOPES)}")
    new.add_argument(
        "--origin",
        action="append",
        help="a browser origin it may be used from (repeat; default: any)",
    )
    new.add_argument(
        "--expires",
        metavar="YYYY-MM-DD",
        help="the last day it works: it works through the end of that day (UTC)",
    )
    new.add_argument("--label", help="what it is for")
    new.add_argument(
        "--trusted-documents",
        action="store_true",
        help="it may only run the documents registered for it (`gateway token documents`)",
    )
    new.add_argument("--json", action="store_true")
    new.set_defaults(func=cmd_token_create)
    docs = token_sub.add_parser(
        "documents", help="register the documents a --trusted-documents token may run"
    )
    docs.add_argument("prefix", help="the token's prefix (or the whole token)")
    docs.add_argument(
        "files",
        nargs="+",
        help=".graphql files (one document each) or JSON manifests (Apollo's persisted query "
        "manifest, or an object of hash: document)",
    )
    docs.add_argument("--json", action="store_true")
    docs.set_defaults(func=cmd_token_documents)
    revoke = token_sub.add_parser("revoke", help="revoke a token by its prefix")
    revoke.add_argument("prefix", help="the prefix `token list` shows (or the whole token)")
    revoke.set_defaults(func=cmd_token_revoke)
    listing = token_sub.add_parser("list", help="tokens, without their secret")
    listing.add_argument("--consumer", help="only this consumer's")
    listing.add_argument("--producer", metavar="SLUG", help="only this producer's")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_token_list)
