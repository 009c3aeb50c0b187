import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { StreamWriter } from './common.js';

const endOfTick = () => new Promise<void>((r) => process.nextTick(r));
const endOfTurn = () => new Promise<void>((r) => setImmediate(r));

/** A ServerResponse stand-in that records each call a StreamWriter makes. */
function recordingRes() {
  const calls: string[] = [];
  const res = {
    writableEnded: false,
    writeHead(status: number) {
      calls.push(`head ${status}`);
      return this;
    },
    flushHeaders() {
      calls.push('flushHeaders');
    },
    write(s: string) {
      calls.push(`write ${s}`);
      return true;
    },
    end(s: string) {
      calls.push(`end ${s}`);
      this.writableEnded = true;
    },
  };
  return { res: res as unknown as ServerResponse, calls };
}

describe('StreamWriter', () => {
  it('sends the chunks written before a flush in one write, with the headers', async () => {
    const { res, calls } = recordingRes();
    const w = new StreamWriter(res);
    w.start({ 'content-type': 'application/x-ndjson' });
    w.write('a\n');
    w.write('b\n');
    expect(calls).toEqual(['head 200']);
    w.flush();
    expect(calls).toEqual(['head 200', 'write a\nb\n']);
    await endOfTurn();
    expect(calls).toEqual(['head 200', 'write a\nb\n']);
  });

  it('holds nothing past a flush: a chunk written after it leaves with the next one, in its own write', () => {
    const { res, calls } = recordingRes();
    const w = new StreamWriter(res);
    w.start({});
    w.write('a\n');
    w.flush();
    w.flush();
    w.write('b\n');
    w.flush();
    expect(calls).toEqual(['head 200', 'write a\n', 'write b\n']);
  });

  it('sends the headers alone at the end of the turn of the event loop when no chunk came with them', async () => {
    const { res, calls } = recordingRes();
    const w = new StreamWriter(res);
    w.start({});
    await endOfTick();
    expect(calls).toEqual(['head 200']);
    await endOfTurn();
    expect(calls).toEqual(['head 200', 'flushHeaders']);
  });

  it('sends the headers with a first chunk that comes after later ticks and promise jobs of the same turn (the upstream head and chunks of one read)', async () => {
    const { res, calls } = recordingRes();
    const w = new StreamWriter(res);
    w.start({});
    // As in the router: the response starts flowing in a later tick, after the promise jobs that follow start().
    process.nextTick(() => void Promise.resolve().then(() => {
      w.write('a\n');
      w.flush();
    }));
    await endOfTurn();
    expect(calls).toEqual(['head 200', 'write a\n']);
  });

  it('sends nothing more after an end that came before the turn was over', async () => {
    const { res, calls } = recordingRes();
    const w = new StreamWriter(res);
    w.start({});
    w.end('done\n');
    await endOfTurn();
    expect(calls).toEqual(['head 200', 'end done\n']);
  });

  it('ends with what is pending and the last chunk in one call, and writes nothing after the end', async () => {
    const { res, calls } = recordingRes();
    const w = new StreamWriter(res);
    w.start({});
    w.write('a\n');
    w.end('done\n');
    w.flush();
    await endOfTurn();
    expect(calls).toEqual(['head 200', 'end a\ndone\n']);
  });
});
