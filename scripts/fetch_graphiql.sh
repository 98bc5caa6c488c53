#!/bin/sh
# Fetch pinned GraphiQL UMD assets from the npm registry into DIR (default var/graphiql).
set -eu
DIR=${1:-var/graphiql}
GRAPHIQL=graphiql@3.8.3
REACT=react@18.3.1
REACT_DOM=react-dom@18.3.1
mkdir -p "$DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && npm pack --silent "$GRAPHIQL" "$REACT" "$REACT_DOM" >/dev/null )
for t in "$TMP"/*.tgz; do
  mkdir -p "$TMP/x" && tar xzf "$t" -C "$TMP/x"
  case "$t" in
    *graphiql-*) cp "$TMP/x/package/graphiql.min.js" "$TMP/x/package/graphiql.min.css" "$DIR/" ;;
    *react-dom-*) cp "$TMP/x/package/umd/react-dom.production.min.js" "$DIR/" ;;
    *react-*) cp "$TMP/x/package/umd/react.production.min.js" "$DIR/" ;;
  esac
  rm -rf "$TMP/x"
done
touch "$DIR/.complete"
echo "GraphiQL assets in $DIR"
