# One image for the TypeScript services (broker, cloud-processor, simulator, edge-agent); each
# runs from source with tsx, as in development. docker-compose.yml picks the command.
FROM node:20-bookworm-slim AS base
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ socat \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY firmware-contracts/package.json firmware-contracts/
COPY rules/package.json rules/
COPY broker/package.json broker/
COPY simulator/package.json simulator/
COPY edge-agent/package.json edge-agent/
COPY cloud-processor/package.json cloud-processor/
COPY node-red/package.json node-red/
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
USER node

FROM base AS broker
EXPOSE 1883 8883 8083 9090
CMD ["npx", "tsx", "broker/src/cli.ts", "serve", "--config", "/etc/fieldline/broker.yaml"]

FROM base AS processor
EXPOSE 8080
CMD ["npx", "tsx", "cloud-processor/src/cli.ts", "run", "--config", "/etc/fieldline/processor.yaml"]

FROM base AS simulator
CMD ["npx", "tsx", "simulator/src/cli.ts", "run", "--spec", "/etc/fieldline/fleet.yaml"]

FROM base AS edge-agent
EXPOSE 9100
CMD ["npx", "tsx", "edge-agent/src/cli.ts", "run", "--config", "/etc/fieldline/edge.yaml"]
