#!/bin/sh
# First start of the compose broker: create the registry with the service accounts (secrets
# from the environment) and the simulator profile's devices (development secrets
# "dev-<device>"), then serve. In production, register real devices with
# `fieldline-broker add-device` and keep the secrets it prints; rotate the development ones.
set -eu
cli="npx tsx broker/src/cli.ts"
registry="${FIELDLINE_REGISTRY:-/var/lib/fieldline/registry.json}"
config="${FIELDLINE_BROKER_CONFIG:-/etc/fieldline/broker.yaml}"
devices="${FIELDLINE_DEV_DEVICES:-20}"
if [ ! -f "$registry" ]; then
  FL_SECRET="$FIELDLINE_PROCESSOR_PASSWORD" $cli add-account --registry "$registry" --role processor --name processor --secret-env FL_SECRET
  FL_SECRET="$FIELDLINE_NODE_RED_PASSWORD" $cli add-account --registry "$registry" --role node-red --name node-red --secret-env FL_SECRET
  i=1
  while [ "$i" -le "$devices" ]; do
    device=$(printf 'meter-%04d' "$i")
    FL_SECRET="dev-$device-secret" $cli add-device --registry "$registry" --site demo --device "$device" --secret-env FL_SECRET
    i=$((i + 1))
  done
fi
exec $cli serve --config "$config"
