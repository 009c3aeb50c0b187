// A V8 CPU profile of part of a benchmark child's life (router-child.ts, router-bare-proxy.ts):
// "profile start" on its stdin starts one, "profile stop <file>" writes it to <file> (a
// .cpuprofile, for Chrome DevTools or a script). bench:router sends them around each of the
// router's and the bare proxy's own turns with BENCH_PROFILE_DIR, so that a profile holds the
// measured rows only (no start-up, no warm-up, no other side's turns). Samples are wall time on
// the main thread: a syscall that gets the process descheduled on a busy machine shows up as time
// in that syscall (writev, fs writes), so read them beside the CPU columns, not as CPU.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

let session: Session | undefined;

/** Handles a "profile ..." command line; false for any other line. */
export function profileCommand(line: string): boolean {
  if (line === 'profile start') {
    if (!session) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: 100 });
    }
    session.post('Profiler.start');
    return true;
  }
  if (line.startsWith('profile stop ')) {
    const file = line.slice('profile stop '.length);
    session?.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(file, JSON.stringify(r.profile));
    });
    return true;
  }
  return false;
}
