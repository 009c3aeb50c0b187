# The AgentLab images, one Dockerfile with three targets that share one layer stack:
#   operator (the default target): the operator (`agentlab run`) and the lane router (`agentlab router`)
#   agent-runner  (--target agent-runner): ghcr.io/agentlab/agent-runner, an AgentRun's pod (docs/agents.md)
#   step-runner   (--target step-runner):  ghcr.io/agentlab/step-runner, Flow tool pods and HardwareTask steps
# No image is published; docs/build-image.md says how to build and push them to a homelab registry.
# They run the TypeScript sources through tsx with the same entry points as `npm start`
# (bin/agentlab.js, operators/*-runner/main.ts), so there is no separate build output to drift from
# the code; /tmp must be writable for tsx's cache (the chart and the controllers mount an emptyDir
# there, the root filesystem is read-only).
# hack/ (the embedded dev cluster) and test/ are not copied: `agentlab dev` here exits 2 and says
# so (docs/adr/0004). examples/ is: `agentlab mcp` serves them as resources (agentlab://examples/...).
# test/image-layout.test.ts checks this layout from the COPY lines.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS app
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY operators ./operators
COPY crds ./crds
COPY examples ./examples
# Non-root, numeric so that runAsNonRoot can verify it.
USER 65532:65532

FROM app AS agent-runner
ENTRYPOINT ["node", "--import", "tsx", "/app/operators/agent-runner/main.ts"]

FROM app AS step-runner
ENTRYPOINT ["node", "--import", "tsx", "/app/operators/step-runner/main.ts"]

FROM app AS operator
ENTRYPOINT ["node", "/app/bin/agentlab.js"]
CMD ["run"]
