"""Pages for people, served by the gateway as server-rendered HTML (Jinja2 templates, one
stylesheet, one small script, no build step) under /pages:

- /pages/signup: an organisation accepts the terms of use (CGU) and receives a `read` token,
  shown once (GATEWAY_SIGNUP: open, approval, off);
- /pages/audit: search a merged structure or service, then see each field's provenance, the
  competing values, the field's history and why records were linked;
- /pages/signin: a token kept in a cookie, so the audit pages show what its scopes allow;
- /pages/producteurs: a producer, signed in with its producer's token, checks and submits its
  files, enters its data online and reads its cross-analysis (producers.py, producer_entry.py).

The audit pages read through the API itself: they run GraphQL documents on the application's
schema, in process, with a context built as for a request to /graphql (the same principal, the
same extensions and limits); they never read the store on their own."""

from gateway.pages.routes import mount

__all__ = ["mount"]
