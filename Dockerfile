# The AgentLab image: the operator (`agentlab run`) and the lane router (`agentlab router`).
# It runs the TypeScript sources through tsx, exactly as `npm start` does, so there is no
# separate build output to drift from the code; /tmp must be writable (the chart mounts an
# emptyDir there, since the root filesystem is read-only).
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
