"""Open-data exports of the merged referential in the data·inclusion v1 format.

- `rows.py`     a golden row -> the data·inclusion v1 dict (pure), with the personal-data rules;
- `formats.py`  writers streaming rows as CSV, JSON, JSON Lines, GeoJSON, XLSX and Parquet;
- `filters.py`  query parameters / `--filter` -> the store's `Filter`, as the API's filters;
- `stream.py`   pages of the store turned into rows, off the event loop;
- `http.py`     `GET /exports/{kind}.{ext}` for token holders (streamed, ETag, 304);
the command is `gateway export` (`gateway/cli_export.py`)."""
