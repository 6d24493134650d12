# Image for a node-only livelab service (whoami, work-server, work-client).
# Context: dist/docker/<app> made by tools/docker/prepare-context.mjs (bundle + production packages only; native
# packages with their sources, never with a binary built for the workspace's Node).
# Build: npx nx run <app>:docker-build   (IMAGE_REGISTRY, IMAGE_TAG, BASE_IMAGE override the defaults)
ARG BASE_IMAGE=node:22-bookworm-slim

FROM ${BASE_IMAGE} AS app
WORKDIR /app
# native-modules.txt lists the packages with a binding.gyp (better-sqlite3 for the work-server; empty otherwise).
# They are compiled here, by and for this image's own Node: whatever Node major the base carries, the addon
# matches its ABI. The compilers stay in this stage.
COPY native-modules.txt ./
RUN if [ -s native-modules.txt ]; then \
      apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*; \
    fi
COPY node_modules ./node_modules
COPY package.json ./
COPY build-native.sh /usr/local/bin/build-native.sh
RUN sh /usr/local/bin/build-native.sh
COPY dist ./dist

FROM ${BASE_IMAGE}
ARG APP
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG PORT=8080
ARG HEALTH_PORT=8080
LABEL org.opencontainers.image.title="livelab ${APP}" \
      org.opencontainers.image.description="livelab ${APP} service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://example.invalid/livelab" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production LIVELAB_APP=${APP} HEALTH_PORT=${HEALTH_PORT} WHOAMI_PORT_NUMBER=8080
WORKDIR /app
COPY --from=app --chown=0:0 /app /app
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY wait-for-tcp.mjs /usr/local/lib/livelab/wait-for-tcp.mjs
COPY check-native.cjs /usr/local/lib/livelab/check-native.cjs
# Self-check with this image's Node: every addon loads and SQLite opens a real database (require() alone loads no
# addon), so a build for the wrong ABI fails here and not in the cluster.
RUN node /usr/local/lib/livelab/check-native.cjs \
 && mkdir -p /docker-entrypoint.d /var/lib/livelab && chown 10001:10001 /var/lib/livelab
USER 10001:10001
EXPOSE ${PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
