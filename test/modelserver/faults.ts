import type { KubeClient } from '../../operators/runtime/kube.js';
import { serverApi, type ServerApi } from '../../operators/modelserver/serverapi.js';
import type { PullClient } from '../../operators/modelserver/pulls.js';
import type { ModelServer } from '../../operators/modelserver/types.js';

export interface PullFaults {
  /** The first N pulls of these models break off after their first progress line. */
  failFirst?: Record<string, number>;
  /** Delay between progress lines, so a pull is observably in flight. */
  lineDelayMs?: number;
  /**
   * A download that never finishes: progress lines trickle in (every lineDelayMs) until the
   * pull is aborted, and the server never receives the pull. The fake registry behind the
   * simulator's Ollama is instantaneous, so this is how a test holds a pull "in the middle".
   */
  endless?: boolean;
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
            if (faults.endless) {
              let aborted = false;
              const total = 4_920_738_944;
              async function* trickle() {
                for (let completed = 0; !aborted; completed = Math.min(total - 1, completed + total / 50)) {
                  yield { status: 'pulling 667b0c1932bc', total, completed: Math.round(completed) };
                  await new Promise((r) => setTimeout(r, faults.lineDelayMs ?? 200));
                }
                throw new Error('aborted');
              }
              return Object.assign(trickle(), { abort: () => { aborted = true; } });
            }
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
