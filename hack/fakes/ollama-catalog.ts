// The models the fake Ollama "registry" knows, with stable digests and realistic sizes.
import { createHash } from 'node:crypto';

export interface FakeModelLayer {
  mediaType: string;
  digest: string; // sha256:<64 hex>
  size: number;
}

export interface FakeModel {
  /** Full name with tag, e.g. `llama3.1:8b`. */
  name: string;
  family: string;
  parameterSize: string;
  quantization: string;
  /** Vector length of /api/embed answers. */
  embeddingLength: number;
  contextLength: number;
  capabilities: string[];
  layers: FakeModelLayer[];
}

export interface CatalogEntry {
  name: string;
  family: string;
  parameterSize: string;
  quantization: string;
  weightsBytes: number;
  embeddingLength: number;
  contextLength: number;
  capabilities: string[];
}

function sha(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** Builds a model with the layer layout Ollama uses (weights, template, license, params). */
export function fakeModel(e: CatalogEntry): FakeModel {
  const layers: FakeModelLayer[] = [
    { mediaType: 'application/vnd.ollama.image.model', digest: sha(`${e.name}/model`), size: e.weightsBytes },
    { mediaType: 'application/vnd.ollama.image.template', digest: sha(`${e.name}/template`), size: 1_482 },
    { mediaType: 'application/vnd.ollama.image.license', digest: sha(`${e.name}/license`), size: 12_321 },
    { mediaType: 'application/vnd.ollama.image.params', digest: sha(`${e.name}/params`), size: 96 },
  ];
  return {
    name: e.name,
    family: e.family,
    parameterSize: e.parameterSize,
    quantization: e.quantization,
    embeddingLength: e.embeddingLength,
    contextLength: e.contextLength,
    capabilities: e.capabilities,
    layers,
  };
}

/** The manifest digest Ollama reports for a model (`digest` in /api/tags). */
export function modelDigest(m: FakeModel): string {
  return createHash('sha256').update(JSON.stringify(m.layers)).digest('hex');
}

export function modelSize(m: FakeModel): number {
  return m.layers.reduce((s, l) => s + l.size, 0);
}

export const DEFAULT_CATALOG: FakeModel[] = [
  { name: 'llama3.1:8b', family: 'llama', parameterSize: '8.0B', quantization: 'Q4_K_M', weightsBytes: 4_920_738_944, embeddingLength: 4096, contextLength: 131_072, capabilities: ['completion', 'tools'] },
  { name: 'llama3.2:3b', family: 'llama', parameterSize: '3.2B', quantization: 'Q4_K_M', weightsBytes: 2_019_377_376, embeddingLength: 3072, contextLength: 131_072, capabilities: ['completion', 'tools'] },
  { name: 'qwen2.5-coder:7b', family: 'qwen2', parameterSize: '7.6B', quantization: 'Q4_K_M', weightsBytes: 4_683_073_184, embeddingLength: 3584, contextLength: 32_768, capabilities: ['completion', 'tools', 'insert'] },
  { name: 'qwen2.5:0.5b', family: 'qwen2', parameterSize: '494.03M', quantization: 'Q4_K_M', weightsBytes: 397_807_936, embeddingLength: 896, contextLength: 32_768, capabilities: ['completion', 'tools'] },
  { name: 'mistral:7b', family: 'llama', parameterSize: '7.2B', quantization: 'Q4_0', weightsBytes: 4_113_289_152, embeddingLength: 4096, contextLength: 32_768, capabilities: ['completion', 'tools'] },
  { name: 'gemma2:9b', family: 'gemma2', parameterSize: '9.2B', quantization: 'Q4_0', weightsBytes: 5_443_138_880, embeddingLength: 3584, contextLength: 8_192, capabilities: ['completion'] },
  { name: 'nomic-embed-text:latest', family: 'nomic-bert', parameterSize: '137M', quantization: 'F16', weightsBytes: 274_290_656, embeddingLength: 768, contextLength: 2_048, capabilities: ['embedding'] },
  { name: 'mxbai-embed-large:latest', family: 'bert', parameterSize: '334M', quantization: 'F16', weightsBytes: 669_603_712, embeddingLength: 1024, contextLength: 512, capabilities: ['embedding'] },
].map(fakeModel);

/** Ollama's name normalisation: a missing tag means `latest`; `library/` prefixes are dropped. */
export function normalizeModelName(name: string): string {
  let n = name.trim().replace(/^(registry\.ollama\.ai\/)?(library\/)?/, '');
  const slash = n.lastIndexOf('/');
  if (!n.slice(slash + 1).includes(':')) n = `${n}:latest`;
  return n;
}
