# The AgentLab images, one Dockerfile with three targets that share one layer stack:
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

FROM app AS operator
ENTRYPOINT ["node", "/app/bin/agentlab.js"]
CMD ["run"]
