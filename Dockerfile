# The sharpbox service: Node 20, the .NET 10 runtime, the runner host and bubblewrap (local backend; the
# aci backend needs none of the sandbox parts but they do no harm).
#   docker build -t sharpbox .
#   docker run --rm --privileged -e DISCORD_TOKEN=… sharpbox
# See README "Running in Docker" for the privileges bubblewrap needs, the narrower alternatives, and how
# to build on local stand-ins for these bases where no registry is reachable (npm run test:docker).
# Every base image is a build argument; the defaults are the official ones.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime:10.0-noble
# Bookworm's Node: its binary is copied into the runtime stage, whose glibc must be at least as new as the
# one it was built against (noble has 2.39, bookworm 2.36). The full image, not -slim: npm ci builds the
# SQLite binding (@keyv/sqlite → sqlite3) with its compilers.
ARG NODE_IMAGE=node:20-bookworm

# The runner host, built as container/Dockerfile builds it, with the allowed packages laid out beside it
# (restored from NuGet here, at build time: a run never reaches the network).
FROM ${SDK_IMAGE} AS host
COPY container/host/ /src/host/
COPY container/packages/ /src/packages/
COPY container/runtime/ /src/runtime/
RUN dotnet publish /src/host -c Release -o /out/host --nologo -v q \
 && bash /src/packages/layout.sh /out/host /tmp/nuget

FROM ${NODE_IMAGE} AS app
# An npm registry other than the default, for a build behind a mirror (empty: npm's own setting).
ARG NPM_REGISTRY=
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund ${NPM_REGISTRY:+--registry=$NPM_REGISTRY}
COPY tsconfig.json ./
COPY src/ src/
COPY test/ test/
COPY bench/ bench/
RUN npm run build && npm prune --omit=dev

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap tini util-linux procps \
 && rm -rf /var/lib/apt/lists/*
COPY --from=app /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=app /app/package.json ./
COPY --from=app /app/node_modules/ node_modules/
COPY --from=app /app/dist/ dist/
COPY bin/ bin/
COPY examples/ examples/
COPY container/sandbox-etc/ container/sandbox-etc/
COPY --from=host /out/host/ container/bin/host/
ENV NODE_ENV=production SANDBOX_DOTNET_ROOT=/usr/share/dotnet
# tini reaps orphans: with node as pid 1 nothing would.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
