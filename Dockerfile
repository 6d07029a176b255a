# The sharpbox service: Node 20, the .NET 10 runtime, the runner host and bubblewrap (local backend; the
# aci backend needs none of the sandbox parts but they do no harm).
#   docker build -t sharpbox .
#   docker run --rm --privileged -e DISCORD_TOKEN=… sharpbox
# See README "Running in Docker" for the privileges bubblewrap needs and the narrower alternatives.

FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS host
WORKDIR /src
COPY container/host/ container/host/
RUN dotnet build container/host -c Release -o /out/host --nologo -v q

# The full Node image: npm ci builds the SQLite binding (@keyv/sqlite → sqlite3) with its compilers.
FROM node:20-bookworm AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ src/
COPY test/ test/
COPY bench/ bench/
RUN npm run build && npm prune --omit=dev

FROM mcr.microsoft.com/dotnet/runtime:10.0-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap tini util-linux procps \
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
