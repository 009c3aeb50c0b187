import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes; tests pass buffers, main passes the process streams. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is an interactive terminal (live tables, colours). */
  isTTY: boolean;
  /** Resolves relative paths and finds .agentlab/ (the process cwd in real use). */
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Full help text, printed by `agentlab <command> --help`. */
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with errors turned into UsageError, and `--help`/`-h` recognised by every
 * command. Returns undefined when help was asked for.
 */
export function parseFlags<O extends Options>(args: string[], options: O, allowPositionals: boolean) {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    if ((parsed.values as { help?: boolean }).help) return undefined;
    return parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Splits host:port (":8080" means every interface, as in controller-runtime). "0" disables. */
export function parseBindAddress(flag: string, value: string): { host: string; port: number } | undefined {
  if (value === '0') return undefined;
  const i = value.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(i < 0 ? value : value.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--${flag}: "${value}" is not host:port, :port or 0`);
  }
  return { host, port };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function parseLogLevel(value: string | undefined): (typeof LOG_LEVELS)[number] {
  const level = value ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  return level as (typeof LOG_LEVELS)[number];
}
