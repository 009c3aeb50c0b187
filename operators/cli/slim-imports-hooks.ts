// Module resolve hook registered by slim-imports.ts (runs on Node's hooks thread).
const CLIENT_NODE_CONFIG = '/node_modules/@kubernetes/client-node/dist/config.js';
const SLIM_GEN = new URL('./slim-client-node-gen.js', import.meta.url).href;

interface ResolveContext { parentURL?: string }
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

/** client-node's config.js asking for its generated index gets the two names it uses instead. */
export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string; shortCircuit?: boolean; format?: string }> {
  if (specifier === './gen/index.js' && context.parentURL?.endsWith(CLIENT_NODE_CONFIG)) {
    return { url: SLIM_GEN, shortCircuit: true, format: 'module' };
  }
  return next(specifier, context);
}
