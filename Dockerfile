# The headless runner (`caudal run | schedule | jobs | validate`) as a container image: for Airflow's
# KubernetesPodOperator (`caudal export airflow --operator kubernetes`), CI, or any container platform.
# The studio (Electron, renderer) is not in it.
#
#   docker build -t caudal:0.1.0 .
#
# A project image copies the project on top; the exported DAG runs `caudal run /project/...`:
#
#   FROM caudal:0.1.0
#   COPY --chown=node:node . /project
#
# Secrets come from the environment (CAUDAL_SECRET_<CONNECTION>_<FIELD>): there is no keychain here.

FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN npm install -g npm@11
COPY package.json package-lock.json ./
# No install scripts: the studio's toolchain (electron, esbuild) is not needed to compile core.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY core ./core
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/caudal
RUN npm install -g npm@11
COPY package.json package-lock.json ./
# Runtime dependencies only; DuckDB and the keyring come as prebuilt binaries (no scripts run).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY resources/schema ./resources/schema
COPY --from=build /src/dist/core ./dist/core
RUN ln -s /opt/caudal/bin/caudal.js /usr/local/bin/caudal && caudal --version
USER node
WORKDIR /project
CMD ["caudal", "--help"]
