// Fake model servers for tests and the node simulator: wire-compatible, deterministic, with fault injection.
export { startFakeOllama, type FakeOllama, type FakeOllamaOptions, type OllamaModelStore, type InstalledModel } from './ollama.js';
export { DEFAULT_CATALOG, normalizeModelName, fakeModel, modelDigest, modelSize, type FakeModel, type CatalogEntry } from './ollama-catalog.js';
export { startFakeAnthropic, type FakeAnthropicOptions } from './anthropic.js';
export { startFakeOpenAI, type FakeOpenAIOptions } from './openai.js';
export { startFakeVllm, vllmOptionsFromArgs, type FakeVllmOptions } from './vllm.js';
export { startFakeGemini, type FakeGeminiOptions } from './gemini.js';
export { startFakeGitHub, type FakeGitHubOptions } from './github.js';
export { startFakeForgejo, type FakeForgejoOptions } from './forgejo.js';
export type { FakeForge, ForgeUserSpec, ForgePermission, RateLimitFault } from './forge.js';
export type { FakeServer, Faults, RecordedRequest } from './server.js';
export { ollamaOptionsFromEnv, OllamaEnvError, ENV_FAIL_PULLS, ENV_PULL_MS, type OllamaEnvOptions } from './ollama-env.js';
export type { ScriptRule, ScriptToolCall } from './script.js';
