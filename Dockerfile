# The AgentLab images, one Dockerfile with three targets that share one layer stack (and a fourth,
# agent-runner-disk, the KubeVirt disk carrying the runner, built from the app stage; see its stage):
#   operator (the default target): the operator (`agentlab run`) and the lane router (`agentlab router`)
#   agent-runner  (--target agent-runner): ghcr.io/agentlab/agent-runner, an AgentRun's pod (docs/agents.md)
#   step-runner   (--target step-runner):  ghcr.io/agentlab/step-runner, Flow tool pods and HardwareTask steps
# No image is published; docs/build-image.md says how to build and push them to a homelab registry.
# They run compiled JavaScript: the build stage compiles operators/ (`npm run build`, tsconfig.build.json)
# and the image holds the .js files at the sources' paths (/app/operators/**/*.js, no .ts), so the
# entry points are the same as `npm start`'s (bin/agentlab.js, operators/*-runner/main) and no
# TypeScript compiler runs in production (bin/agentlab.js runs the compiled CLI when it is there).
# hack/ (the embedded dev cluster) and test/ are not copied: `agentlab dev` here exits 2 and says
# so (docs/adr/0004). examples/ is: `agentlab mcp` serves them as resources (agentlab://examples/...).
# test/image-layout.test.ts checks this layout from the COPY lines (and runs the build stage's build).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY operators ./operators
RUN npm run build

FROM node:20-bookworm-slim AS app
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist/operators ./operators
COPY crds ./crds
COPY examples ./examples
# Non-root, numeric so that runAsNonRoot can verify it.
USER 65532:65532

FROM app AS agent-runner
ENTRYPOINT ["node", "/app/operators/agent-runner/main.js"]

FROM app AS step-runner
ENTRYPOINT ["node", "/app/operators/step-runner/main.js"]

# agent-runner-disk (--target agent-runner-disk): ghcr.io/agentlab/agent-runner-disk, the KubeVirt
# containerDisk of AgentRuns with runtime.vm.engine kubevirt (docs/agents.md, "KubeVirt"): the pinned
# Debian 12 cloud image (SHA-512 checked) with the app stage's node and /app (at /opt/agentlab) and
# images/agent-runner-disk/agentlab-runner.service, made by virt-customize (build-disk.sh), as one
# qcow2 under /disk/ owned by 107:107 (qemu in virt-launcher) in an image FROM scratch. amd64 only:
# build it with --platform linux/amd64. It stays out of the default target (operator, last).
FROM debian:bookworm AS agent-runner-disk-build
ARG DEBIAN_CLOUD_IMAGE_URL=https://cloud.debian.org/images/cloud/bookworm/20250210-2019/debian-12-genericcloud-amd64-20250210-2019.qcow2
ARG DEBIAN_CLOUD_IMAGE_SHA512=a58d86525d75fd8e139a2302531ce5d2ab75ef0273cfe78f9d53aada4b23efd45f8433b4806fa4570cfe981c8fae26f5e5e855cbd66ba2198862f28125fd2d45
ARG DISK_SIZE=8G
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl libguestfs-tools linux-image-amd64 qemu-utils && rm -rf /var/lib/apt/lists/*
RUN curl -fL --retry 3 -o /base.qcow2 "$DEBIAN_CLOUD_IMAGE_URL"
COPY --from=app /usr/local/bin/node /guest/usr/local/bin/node
COPY --from=app /app /guest/opt/agentlab
COPY images/agent-runner-disk /files
RUN /files/build-disk.sh /base.qcow2 "$DEBIAN_CLOUD_IMAGE_SHA512" /guest /files "$DISK_SIZE" /out/agent-runner.qcow2 && chmod 0440 /out/agent-runner.qcow2 && rm /base.qcow2

FROM scratch AS agent-runner-disk
COPY --from=agent-runner-disk-build --chown=107:107 /out/agent-runner.qcow2 /disk/

# The operator holds every watched object in its informer caches, listed in pages of megabytes:
# glibc's malloc keeps much of the memory those reads freed (89 MB resident in its heap at 10,000
# objects of each watched kind, after a full GC); jemalloc gives it back within seconds: RSS 239
# instead of 337 MB 30 s after the caches synced (docs/benchmarks.md; bench:memory runs the
# operator with this stage's ENV lines).
FROM app AS operator
USER root
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/*
USER 65532:65532
ENV LD_PRELOAD=libjemalloc.so.2
ENTRYPOINT ["node", "/app/bin/agentlab.js"]
CMD ["run"]
