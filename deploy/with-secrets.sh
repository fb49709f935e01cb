#!/bin/sh
# Entrypoint wrapper: for every environment variable NAME_FILE naming a readable file, sets
# NAME to the file's content (a generated secret from the init service), then runs the
# command. A NAME_FILE whose file is missing stops the container: nothing starts without its
# secrets.
set -eu
for pair in $(env | grep -E '^[A-Za-z_][A-Za-z0-9_]*_FILE=' | cut -d= -f1); do
  file=$(printenv "$pair")
  name=${pair%_FILE}
  if [ ! -r "$file" ]; then
    echo "with-secrets: $pair=$file is not readable (did the init service run?)" >&2
    exit 78
  fi
  value=$(cat "$file")
  export "$name=$value"
  unset "$pair"
done
exec "$@"
