#!/bin/sh
# One-shot `init` service of docker-compose: on first start, generates every secret of the
# deployment into the secrets volume and the operator API's tokens into the processor's data
# dir; later starts find them and change nothing. No secret is shipped in the repository.
#
#   influxdb-admin-password influxdb-token          InfluxDB 2 setup (admin user, API token)
#   broker-processor-password broker-node-red-password   MQTT accounts of the services
#   device-key                                      simulator profile: device secrets are <device-key>-<device>
#   grafana-admin-password                          Grafana's `admin` user
#   api-operator-token api-node-red-token           operator API tokens (roles operator, node-red)
#
# Files are mode 0640, owned by uid 1000 (the services' user) and group 0 (Grafana's group).
set -eu
secrets="${FIELDLINE_SECRETS_DIR:-/run/fieldline/secrets}"
data="${FIELDLINE_PROCESSOR_DATA:-/var/lib/fieldline}"
owner="${FIELDLINE_SECRETS_OWNER:-1000:0}"
cli="${FIELDLINE_PROCESSOR_CLI:-npx tsx cloud-processor/src/cli.ts}"
umask 027
mkdir -p "$secrets" "$data"

random() {
  node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))'
}

for name in influxdb-admin-password influxdb-token broker-processor-password broker-node-red-password device-key grafana-admin-password; do
  if [ ! -s "$secrets/$name" ]; then
    random > "$secrets/$name.tmp"
    mv "$secrets/$name.tmp" "$secrets/$name"
    echo "init: generated $name"
  fi
done

# API tokens: made by the processor's token CLI (stored hashed in its data dir); the clear
# token goes only to the secrets volume.
for account in operator node-red; do
  if [ ! -s "$secrets/api-$account-token" ]; then
    $cli token revoke "$account" --data-dir "$data" 2>/dev/null || true
    $cli token add "$account" --role "$account" --data-dir "$data" > "$secrets/api-$account-token.tmp"
    mv "$secrets/api-$account-token.tmp" "$secrets/api-$account-token"
    echo "init: created the API token of $account"
  fi
done

if [ "$(id -u)" = 0 ]; then
  chown -R "$owner" "$secrets" "$data"
fi
chmod 0750 "$secrets"
chmod 0640 "$secrets"/*
echo "init: secrets in $secrets"
