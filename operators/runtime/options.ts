/**
 * Fills in defaults for options a caller left out **or passed as `undefined`**.
 *
 * `{ ...defaults, ...opts }` keeps a key that is present with the value `undefined`, so a caller
 * that forwards its own optional settings (`{ baseRetryMs: opts.pullRetryBaseMs }`) silently
 * replaces the default with `undefined`, and arithmetic on it turns into NaN. Use this instead
 * of a spread wherever options meet defaults.
 */
export function withDefaults<D extends object, O extends { [K in keyof D]?: D[K] | undefined }>(defaults: D, opts: O): D & Omit<O, keyof D> {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(opts)) {
    if (value !== undefined) out[key] = value;
  }
  return out as D & Omit<O, keyof D>;
}

/**
 * Checks that every named option is a finite number >= `min`; the error names the option and
 * the value, so a bad setting fails at construction instead of as a NaN timer later.
 */
export function requireFiniteOptions<O extends object>(owner: string, opts: O, keys: (keyof O & string)[], min = 0): void {
  for (const key of keys) {
    const v = opts[key] as unknown;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new RangeError(`${owner}: option ${key} must be a finite number >= ${min}, got ${String(v)}`);
    }
  }
}
