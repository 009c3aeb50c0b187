/**
 * A problem in a graph that the CRD's CEL rules cannot express. `field` is a Kubernetes field
 * path inside the object (e.g. `spec.nodes[1].inputs[0].from`); `message` does not repeat it,
 * so a caller can prefix it (`agentlab validate`) or put it in a condition message (controllers).
 */
export interface GraphProblem {
  field: string;
  message: string;
}
