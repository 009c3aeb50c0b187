// Which verified issue comments act on the task's steps, in one reconcile: an `/approve` or
// `/reject` decides the step waiting for its approval, a `/done <step>` completes that waiting
// human step; each only when written after our comment asking for it (comment ids grow on both
// forges), each used once. Comments that find nothing to act on get a reaction and a reply, once.
import type { VerifiedCommand } from '../issues/workflow/index.js';
import type { ApprovalVerdict } from './approval.js';
import type { TaskIssue, taskIssues } from './issue-sync.js';
import { issueApproval, issueCompletion } from './issue-view.js';
import type { HardwareStep, StepStatus } from './types.js';

type Issues = ReturnType<typeof taskIssues>;

export function issueCommands(issues: Issues, key: string, h: TaskIssue, decidedAt: string) {
  /** Comments used by a step in this reconcile (status records them as completedURL / approvalURL). */
  const used = new Set<number>();
  const unused = () => h.commands.filter((c) => !used.has(c.commentId));

  /** Whether the command came after our milestone comment `milestone` (undefined: the forge did not answer). */
  async function after(milestone: string, c: VerifiedCommand): Promise<boolean | undefined> {
    try {
      const asked = await h.milestoneId(milestone);
      return asked !== undefined && c.commentId > asked;
    } catch (err) {
      h.failed(err);
      return undefined;
    }
  }

  return {
    /** The decision for a step waiting for its approval, from the issue (undefined: none usable yet). */
    async approval(step: HardwareStep, name: string): Promise<ApprovalVerdict | undefined> {
      const d = issueApproval(step, unused());
      if (d.kind === 'none') return undefined;
      if (d.kind === 'refused') {
        await issues.refuse(key, h, d.command, `${d.message}; step \`${name}\` still waits for an approval.`);
        return undefined;
      }
      const ok = await after(`approval:${name}`, d.command);
      if (ok === undefined) return undefined;
      if (!ok) {
        await issues.refuse(key, h, d.command, `this \`/${d.command.command.verb}\` came before step \`${name}\` asked for an approval, so it does not decide it; comment again to decide.`);
        return undefined;
      }
      used.add(d.command.commentId);
      await issues.accept(h, d.command);
      const via = h.tracker.provider;
      const by = { decidedBy: d.command.login, decidedAt, via, url: d.command.commentUrl };
      return d.decision === 'Approved' ? { kind: 'approved', ...by } : { kind: 'rejected', ...by, message: `rejected by ${d.command.login} via ${via}${d.reason ? `: ${d.reason}` : ''}` };
    },

    /** A `/done <name> [notes]` for the waiting human step (undefined: none usable yet). */
    async completion(name: string): Promise<(VerifiedCommand & { notes?: string }) | undefined> {
      const c = issueCompletion(name, unused());
      if (!c) return undefined;
      const ok = await after(`waiting:${name}`, c);
      if (ok === undefined) return undefined;
      if (!ok) {
        await issues.refuse(key, h, c, `this \`/done ${name}\` came before the step asked for a person, so it does not complete it; comment again once it is done.`);
        return undefined;
      }
      used.add(c.commentId);
      await issues.accept(h, c);
      return c;
    },

    /** Answers the commands no step could use (a `/done` for a step not waiting, an approval with none asked). */
    async answerLeftovers(steps: readonly StepStatus[]): Promise<void> {
      for (const c of unused()) {
        if (c.command.verb === 'done') {
          const wanted = c.command.step;
          const target = steps.find((x) => x.name === wanted);
          if (target?.phase !== 'WaitingForHuman') await issues.refuse(key, h, c, target ? `step \`${target.name}\` is ${target.phase ?? 'Pending'}, not waiting for a person, so \`/done\` changes nothing.` : `this task has no step \`${wanted}\`.`);
        } else if (!steps.some((x) => x.phase === 'AwaitingApproval')) {
          const last = [...steps].reverse().find((x) => x.approvalDecision);
          await issues.refuse(key, h, c, `no step waits for an approval${last ? `; step \`${last.name}\` was ${last.approvalDecision!.toLowerCase()} by ${last.approvedBy} via ${last.approvedVia ?? 'kubectl'}` : ''}, so \`/${c.command.verb}\` changes nothing.`);
        }
      }
    },
  };
}
