import type { ConditionInput } from './conditions.js';
import type { Outcome } from './outcome.js';
import { copyJson } from './json-copy.js';
import { type StatusWithConditions, finalizeStatus } from './status.js';

/**
 * What one reconcile asked for through `ctx.setStatus` and `ctx.setCondition`, and the status it
 * leads to. The runtime and the controller test kit share it, so a unit test sees the status the
 * runtime would write. Inputs are copied when they are set: a controller may keep mutating the
 * object it passed, and the status must be what it set at that moment.
 */
export class ReconcileRecord {
  private fields?: Record<string, unknown>;
  private readonly conds: ConditionInput[] = [];

  setStatus(fields: Record<string, unknown>): void {
    this.fields = copyJson(fields);
  }

  setCondition(condition: ConditionInput): void {
    const copy = { ...condition };
    const i = this.conds.findIndex((c) => c.type === copy.type);
    if (i >= 0) this.conds[i] = copy;
    else this.conds.push(copy);
  }

  /** The kind-specific fields set last (undefined when setStatus was not called). */
  get statusFields(): Record<string, unknown> | undefined {
    return this.fields === undefined ? undefined : copyJson(this.fields);
  }

  get conditions(): ConditionInput[] {
    return this.conds.map((c) => ({ ...c }));
  }

  /** The next status: the fields set (else the stored ones), the controller's conditions and the outcome's. */
  nextStatus(previous: StatusWithConditions | undefined, outcome: Outcome, generation: number | undefined, now: string): StatusWithConditions {
    return finalizeStatus({ previous, fields: this.fields ?? storedFields(previous), conditions: this.conds, outcome, generation, now });
  }
}

/** The kind-specific fields of a stored status (without conditions and observedGeneration). */
function storedFields(status: StatusWithConditions | undefined): Record<string, unknown> {
  if (!status) return {};
  const { conditions: _c, observedGeneration: _g, ...rest } = status;
  return rest;
}
