# The AgentLab image: the operator (`agentlab run`) and the lane router (`agentlab router`).
# No image is published; docs/build-image.md says how to build and push it to a homelab registry.
# It runs the TypeScript sources through tsx with the same entry point as `npm start`
# (bin/agentlab.js), so there is no separate build output to drift from the code; /tmp must be
# writable for tsx's cache (the chart mounts an emptyDir there, the root filesystem is read-only).
# hack/ (the embedded dev cluster), examples/ and test/ are not copied: `agentlab dev` here exits
# 2 and says so (docs/adr/0004). test/image-layout.test.ts checks this layout from the COPY lines.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY operators ./operators
COPY crds ./crds
# Non-root, numeric so that runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/agentlab.js"]
CMD ["run"]
