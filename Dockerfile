# syntax=docker/dockerfile:1
# One image for both distributed roles, `reply-analytics ingest` and `reply-analytics consume`;
# docker-compose.yml picks the command. The app runs its TypeScript through tsx, which is a
# production dependency, so there is no compile step: the first stage exists to keep npm, its
# cache and the dev dependencies out of the final image.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, exactly as locked. The engine is prebuilt (@chdb/lib-linux-*, the
# one for this platform), so no compiler is needed. The lock's entries for the engine packages of
# other platforms carry no integrity hash (the registry the lock was made against does not serve
# them), so on arm64 npm fetches the engine by name and version without checking its hash.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY core ./core
COPY http ./http
COPY ingest ./ingest
COPY queue ./queue
COPY consumer ./consumer
COPY store ./store
COPY reports ./reports
COPY alerts ./alerts
COPY dashboards ./dashboards
COPY live ./live
# The code stays root-owned and read-only to the app; only DATA_DIR is the app's. A new named
# volume mounted on /data starts with this directory's owner.
RUN mkdir -p /data && chown node:node /data && ln -s /app/bin/reply-analytics.js /usr/local/bin/reply-analytics
USER node
VOLUME ["/data"]
EXPOSE 3000
# Process up (a stricter /readyz check is in docker-compose.yml). No curl in the image; node has fetch.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/reply-analytics.js"]
CMD ["start"]
