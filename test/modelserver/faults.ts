import type { KubeClient } from '../../operators/runtime/kube.js';
import { serverApi, type ServerApi } from '../../operators/modelserver/serverapi.js';
import type { PullClient } from '../../operators/modelserver/pulls.js';
import type { ModelServer } from '../../operators/modelserver/types.js';

export interface PullFaults {
  /** The first N pulls of these models break off after their first progress line. */
  failFirst?: Record<string, number>;
  /** Delay between progress lines, so a pull is observably in flight. */
  lineDelayMs?: number;
}

/**
 * Wraps the real server API (which talks to the node simulator's fake Ollama through the
 * service proxy) and breaks or slows pull streams the way a flaky registry connection does.
 * The operator sees exactly what the ollama client reports for a connection reset.
 */
export function faultyServerApi(faults: PullFaults): { api: typeof serverApi; pulls: string[] } {
  const pulls: string[] = [];
  const remaining = new Map(Object.entries(faults.failFirst ?? {}));
  const api = (client: KubeClient, ms: ModelServer): ServerApi => {
    const real = serverApi(client, ms);
    return {
      ...real,
      pullClient(): PullClient {
        const inner = real.pullClient();
        return {
          async pull(req) {
            pulls.push(req.model);
            const left = remaining.get(req.model) ?? 0;
            if (left > 0) remaining.set(req.model, left - 1);
            const stream = await inner.pull(req);
            async function* wrapped() {
              let n = 0;
              for await (const line of stream) {
                if (faults.lineDelayMs) await new Promise((r) => setTimeout(r, faults.lineDelayMs));
                yield line;
                if (left > 0 && ++n === 1) {
                  stream.abort();
                  throw new Error(`max retries exceeded: Get "https://registry.ollama.ai/v2/library/${req.model}/blobs": connection reset by peer`);
                }
              }
            }
            return Object.assign(wrapped(), { abort: () => stream.abort() });
          },
        };
      },
    };
  };
  return { api, pulls };
}
