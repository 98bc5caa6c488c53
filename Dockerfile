# syntax=docker/dockerfile:1
# Two stages: build the virtualenv and fetch the GraphiQL assets, then a slim non-root runtime.

FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/runtime.lock ./requirements/
COPY gateway ./gateway
COPY resolvers ./resolvers
COPY models ./models
COPY store ./store
COPY ingestion ./ingestion
COPY producers ./producers
COPY scripts ./scripts
# exactly the runtime lock's pins, each checked against its hash (the otel extra included),
# then the project itself with nothing resolved again
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/runtime.lock \
 && /opt/venv/bin/pip install --no-cache-dir --no-deps . \
 && /opt/venv/bin/pip check
RUN sh scripts/fetch_graphiql.sh /opt/graphiql

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 gateway
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/graphiql /opt/graphiql
COPY data ./data
RUN mkdir -p /app/var && chown gateway:gateway /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    GATEWAY_GRAPHIQL_ASSETS=/opt/graphiql \
    GATEWAY_TERRITORIES_FILE=/app/data/territories.json.gz
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# DATABASE_URL defaults to a SQLite file in /app/var; set it (and REDIS_URL) for production.
CMD ["gateway", "serve"]
