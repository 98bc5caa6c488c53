"""The gateway process: settings, the ASGI app, the schema and the command line (wiring only)."""
