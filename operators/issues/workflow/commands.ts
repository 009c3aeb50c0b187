// Commands a person writes in an issue comment. Only the first non-empty line counts, verbs are
// case-sensitive and must stand alone ("/approved" is not "/approve"); anything else is no command.

export type ParsedCommand = { verb: 'approve' } | { verb: 'reject'; reason?: string } | { verb: 'done'; step: string; notes?: string };

/** status.approval.reason and a step's notes hold up to 1024 characters. */
export const MAX_TEXT = 1024;
/** A step name as the CRDs allow it (DNS label). */
const STEP = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const text = (s: string): string | undefined => {
  const t = s.trim();
  return t ? t.slice(0, MAX_TEXT) : undefined;
};

/** `/approve`, `/reject [reason]`, `/done <step> [notes]` on the first non-empty line; the reason and notes run to the end of the comment. */
export function parseCommand(body: string): ParsedCommand | undefined {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return undefined;
  const line = lines[first]!.trim();
  const rest = lines.slice(first + 1).join('\n');
  const m = /^\/(approve|reject|done)(?:\s+(.*))?$/.exec(line);
  if (!m) return undefined;
  const args = m[2] ?? '';
  switch (m[1]) {
    case 'approve':
      return args.trim() === '' ? { verb: 'approve' } : undefined;
    case 'reject': {
      const reason = text(`${args}\n${rest}`);
      return reason ? { verb: 'reject', reason } : { verb: 'reject' };
    }
    default: {
      const [step, ...words] = args.trim().split(/\s+/);
      if (!step || !STEP.test(step)) return undefined;
      const notes = text(`${words.join(' ')}\n${rest}`);
      return notes ? { verb: 'done', step, notes } : { verb: 'done', step };
    }
  }
}
