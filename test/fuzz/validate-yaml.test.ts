// Bad input to `agentlab validate` (issue 15, section 3): the examples mutated as text (anchors,
// aliases, alias bombs, merge keys, tags, duplicate keys, tabs, control bytes, cut files) plus
// huge, deeply nested and binary files. Every error is `file:line: message`, the command exits
// 0 or 1 (never a usage error or a crash), never prints a stack trace, in bounded time; the
// hostile files are also run through the real `bin/agentlab.js` process with a capped heap.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCrds } from '../../operators/api/crds.js';
import { main } from '../../operators/cli/main.js';
import { formatFinding, validateFiles } from '../../operators/cli/validate/validate.js';
import { FUZZ_SEED, fuzzRuns, fuzzTimeout, report } from './seed.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'agentlab-fuzz-yaml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const crds = loadCrds();
const examples = readdirSync('examples').filter((f) => /\.ya?ml$/.test(f)).map((f) => readFileSync(join('examples', f), 'utf8'));

// ---- text mutations -----------------------------------------------------------------------------

const lineMutation = fc.oneof(
  fc.constantFrom(
    'x: &a [1, 2]', 'y: *a', 'z: *undefined_anchor', '<<: {extra: 1}', '<<: *a', '<<: [*a, *a]',
    'labels: !!set {a, b}', 'd: !!binary aGVsbG8=', 'o: !!omap [a: 1, b: 2]', 'p: !!pairs [a: 1]', 't: !!timestamp 2001-12-14',
    'c: !custom 3', 'i: !!int "12"', 'f: !!float abc', 'n: !!null x', 'm: !<tag:example.com,2000:x> 1',
    '? [a, b]\n  : 1', '? {c: d}\n  : 2', 'on: yes', 'dup: 1\ndup: 2', '\ttabbed: 1', '"unterminated: 1', "'x", '{a: [1, 2', ']]]', '- a\nb: c',
    '%YAML 1.2', '---', '...', '--- !!map', 'key: |\n  block\n wrong indent', 'k: 0777', 'k: 1e400', 'k: -.inf', 'k: .nan',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString('latin1')),
);

const yamlCase = fc.record({
  example: fc.nat({ max: examples.length - 1 }),
  edits: fc.array(fc.record({ at: fc.nat(), indent: fc.nat({ max: 6 }), text: lineMutation }), { minLength: 1, maxLength: 4 }),
  cut: fc.option(fc.nat(), { freq: 4 }),
}).map(({ example, edits, cut }) => {
  const lines = examples[example].split('\n');
  for (const e of edits) lines.splice(e.at % (lines.length + 1), 0, ' '.repeat(e.indent) + e.text);
  const text = lines.join('\n');
  return cut === null ? text : text.slice(0, cut % (text.length + 1));
});

// ---- hostile files ------------------------------------------------------------------------------

const head = 'apiVersion: agentlab.dev/v1alpha1\nkind: Flow\nmetadata:\n  name: hostile\nspec:\n';
const bomb = (levels: number) => `  a0: &a0 [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: levels }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]\n`).join('')}`;
/** Size of the huge-file case: 2 MB in CI, AGENTLAB_FUZZ_HUGE_MB for the long run. */
const HUGE_MB = Number(process.env.AGENTLAB_FUZZ_HUGE_MB ?? 2);
function hugeFile(mb: number): string {
  const all = examples.join('\n---\n');
  return Array.from({ length: Math.ceil((mb * 1024 * 1024) / all.length) }, () => all).join('\n---\n');
}
const hostile: { name: string; text: string | Buffer; message: RegExp }[] = [
  { name: 'an alias bomb (billion laughs)', text: head + bomb(9), message: /alias/i },
  { name: 'an alias bomb in a second document', text: `${head}  nodes: []\n---\n${head}${bomb(9)}`, message: /alias/i },
  { name: 'a merge key onto a scalar', text: `${head}  <<: *nowhere\n`, message: /alias|merge|anchor/i },
  { name: 'a merge of a sequence alias', text: `base: &b [1, 2]\nother:\n  <<: *b\n`, message: /merge/i },
  { name: '100,000 nested flow sequences', text: `${head}  nodes: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, message: /nest|deep|stack/i },
  { name: '2,000 nested block mappings', text: head + Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(2 + i)}k:\n`).join(''), message: /./ },
  { name: 'binary junk', text: Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 3)) % 256)), message: /binary|NUL|not a YAML/i },
  { name: `a ${HUGE_MB} MB file of every example repeated`, text: hugeFile(HUGE_MB), message: /./ },
  { name: 'one 2 MB line', text: `${head}  description: ${'y'.repeat(2_000_000)}\n`, message: /./ },
];

describe('agentlab validate under generated and hostile YAML', () => {
  it('mutated examples: every error names file and line, exit 0 or 1, no stack trace', async () => {
    // Each case through the command's own checks (validateFiles + formatFinding, CRDs loaded once),
    // then all of them in one `agentlab validate` run, as a directory of bad files would be.
    const counts = { cases: 0, ok: 0, refused: 0, slowestMs: 0 };
    const files: string[] = [];
    await fc.assert(
      fc.property(yamlCase, (text) => {
        const file = `case-${counts.cases}.yaml`;
        const t0 = performance.now();
        const r = validateFiles([{ file, text }], crds);
        counts.slowestMs = Math.max(counts.slowestMs, Math.round(performance.now() - t0));
        const errors = r.findings.filter((f) => f.severity === 'error');
        counts.cases++;
        counts[errors.length === 0 ? 'ok' : 'refused']++;
        for (const f of errors) {
          const line = formatFinding(f);
          expect(line, text.slice(0, 2000)).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+: \\S`));
          expect(line.length, `${text.slice(0, 2000)}\nan error line stays readable`).toBeLessThanOrEqual(1000);
        }
        writeFileSync(join(dir, file), text);
        files.push(file);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(150), endOnFailure: true },
    );
    let out = '';
    let err = '';
    const code = await main(['validate', '-q', ...files], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false, cwd: dir });
    expect([0, 1]).toContain(code);
    expect(err + out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|RangeError|TypeError/);
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`AgentLab resources? in ${files.length} files checked`));
    expect(lines.slice(0, -1).filter((l) => !/^case-\d+\.yaml:\d+: \S/.test(l))).toEqual([]);
    report('agentlab validate mutated YAML', counts);
    expect(counts.refused).toBeGreaterThan(0);
  }, fuzzTimeout(120_000));

  it('hostile files: an error with file and line in the real process, bounded in time and memory', async () => {
    // One process for all of them (and a good file): one bad file must not stop the others from
    // being checked, and the process start is paid once.
    const files = hostile.map((h) => `${h.name.replace(/\W+/g, '-')}.yaml`);
    hostile.forEach((h, i) => writeFileSync(join(dir, files[i]), h.text));
    writeFileSync(join(dir, 'good.yaml'), examples[0]);
    const t0 = performance.now();
    const r = await run(process.execPath, ['--max-old-space-size=512', join(process.cwd(), 'bin/agentlab.js'), 'validate', '-q', ...files, 'good.yaml'], { cwd: dir, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 })
      .then((x) => ({ code: 0, out: x.stdout, err: x.stderr }), (e: { code?: number; stdout?: string; stderr?: string; signal?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? '', err: `${e.stderr ?? ''}${e.signal ? ` signal ${e.signal}` : ''}` }));
    const figures = { files: files.length + 1, bytes: hostile.reduce((n, h) => n + h.text.length, 0), ms: Math.round(performance.now() - t0), outputBytes: r.out.length };
    const what = `exit ${r.code}\nstdout: ${r.out.slice(0, 1500)}\nstderr: ${r.err.slice(0, 600)}`;
    expect(r.code, what).toBe(1);
    expect(r.err + r.out, what).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|FATAL ERROR|heap out of memory/);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.at(-1), what).toMatch(new RegExp(`AgentLab resources? in ${files.length + 1} files checked`));
    expect(lines.slice(0, -1).filter((l) => !/^[\w.-]+\.yaml:\d+: \S/.test(l) || l.length > 1000), what).toEqual([]);
    expect(r.out.length, `${what}\noutput stays bounded`).toBeLessThan(200_000);
    hostile.forEach((h, i) => {
      const mine = lines.filter((l) => l.startsWith(`${files[i]}:`));
      if (h.message.source !== '.') expect.soft(mine.some((l) => h.message.test(l)), `${h.name}: ${mine.slice(0, 3).join('\n')}`).toBe(true);
    });
    expect(lines.filter((l) => l.startsWith('good.yaml:')), what).toEqual([]);
    report('agentlab validate hostile files', figures);
  }, 300_000);
});
