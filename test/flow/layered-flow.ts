import type { FlowNode, FlowSpec } from '../../operators/api/generated/flow.js';

/**
 * `waves` waves of `width` trivial tool nodes (`true` in the step runner); every node of a wave
 * depends on every node of the wave before, so the waves are barriers (the 200-node test and
 * `npm run bench:flow` use 10 x 20).
 */
export function layeredFlow(waves: number, width: number, image = 'ghcr.io/agentlab/step-runner:0.1.0'): FlowSpec {
  const nodes: FlowNode[] = [];
  for (let w = 0; w < waves; w++) {
    for (let i = 0; i < width; i++) {
      nodes.push({
        id: `w${w}-n${i}`, type: 'tool', tool: { image, args: ['true'] },
        ...(w > 0 ? { dependsOn: Array.from({ length: width }, (_, j) => `w${w - 1}-n${j}`) } : {}),
      });
    }
  }
  return { nodes };
}
