/** The port each ModelServer runtime listens on and its health endpoint (the pod's probes and the lane router use the same). */
export const RUNTIME_PORTS = {
  ollama: { port: 11434, health: '/api/version' },
  vllm: { port: 8000, health: '/health' },
} as const;
