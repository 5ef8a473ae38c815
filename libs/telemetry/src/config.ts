import { ConfigError } from './errors.js';

/**
 * One environment variable: how to read it, its default and a line of documentation.
 * `parse` receives the trimmed raw value, or `undefined` when the variable is unset or empty.
 */
export interface EnvVar<T> {
  readonly doc: string;
  /** Default as it would be written in the environment, for documentation. */
  readonly defaultText?: string;
  parse(raw: string | undefined, name: string): T;
}

/** A set of environment variables keyed by their names. */
export type EnvSpec = Record<string, EnvVar<unknown>>;

/** The typed, frozen result of reading an {@link EnvSpec}. */
export type ConfigOf<S extends EnvSpec> = { readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

function invalid(name: string, raw: string, expected: string): ConfigError {
  return new ConfigError(name, `Invalid environment variable ${name}=${JSON.stringify(raw)}: expected ${expected}`);
}

function missing(name: string, expected: string): ConfigError {
  return new ConfigError(name, `Missing environment variable ${name}: expected ${expected}`);
}

interface Common<T> {
  doc: string;
  default?: T;
}

function withDefault<T>(name: string, raw: string | undefined, opts: Common<T>, expected: string): string | T {
  if (raw !== undefined) return raw;
  if (opts.default !== undefined) return opts.default;
  throw missing(name, expected);
}

/** Builders for {@link EnvVar}s. Each validates strictly: a bad value is an error, never a silent default. */
export const env = {
  string(opts: Common<string> & { pattern?: RegExp; patternText?: string }): EnvVar<string> {
    const expected = opts.patternText ?? 'a non-empty string';
    return {
      doc: opts.doc,
      defaultText: opts.default,
      parse(raw, name) {
        const v = withDefault(name, raw, opts, expected);
        if (opts.pattern && !opts.pattern.test(v)) throw invalid(name, v, expected);
        return v;
      },
    };
  },

  optionalString(opts: { doc: string }): EnvVar<string | undefined> {
    return { doc: opts.doc, parse: (raw) => raw };
  },

  int(opts: Common<number> & { min?: number; max?: number }): EnvVar<number> {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    const expected = `an integer between ${min} and ${max}`;
    return {
      doc: opts.doc,
      defaultText: opts.default === undefined ? undefined : String(opts.default),
      parse(raw, name) {
        const v = withDefault(name, raw, opts, expected);
        if (typeof v === 'number') return v;
        if (!/^-?\d+$/.test(v)) throw invalid(name, v, expected);
        const n = Number(v);
        if (n < min || n > max) throw invalid(name, v, expected);
        return n;
      },
    };
  },

  port(opts: Common<number>): EnvVar<number> {
    const inner = env.int({ ...opts, min: 0, max: 65535 });
    return {
      ...inner,
      parse(raw, name) {
        try {
          return inner.parse(raw, name);
        } catch (e) {
          if (e instanceof ConfigError && raw !== undefined) throw invalid(name, raw, 'a TCP/UDP port number (0-65535)');
          throw e;
        }
      },
    };
  },

  bool(opts: Common<boolean>): EnvVar<boolean> {
    const expected = 'true or false';
    return {
      doc: opts.doc,
      defaultText: opts.default === undefined ? undefined : String(opts.default),
      parse(raw, name) {
        const v = withDefault(name, raw, opts, expected);
        if (typeof v === 'boolean') return v;
        const l = v.toLowerCase();
        if (l === 'true' || l === '1' || l === 'yes') return true;
        if (l === 'false' || l === '0' || l === 'no') return false;
        throw invalid(name, v, expected);
      },
    };
  },

  oneOf<const T extends string>(values: readonly T[], opts: Common<T>): EnvVar<T> {
    const expected = `one of ${values.join(', ')}`;
    return {
      doc: opts.doc,
      defaultText: opts.default,
      parse(raw, name) {
        const v = withDefault(name, raw, opts, expected);
        if (!(values as readonly string[]).includes(v)) throw invalid(name, v, expected);
        return v as T;
      },
    };
  },

  url(opts: Common<string> & { protocols: readonly string[] }): EnvVar<string> {
    const expected = `a URL with scheme ${opts.protocols.map((p) => `${p}://`).join(' or ')}`;
    return {
      doc: opts.doc,
      defaultText: opts.default,
      parse(raw, name) {
        const v = withDefault(name, raw, opts, expected);
        // A comma-separated list of servers is allowed (NATS clusters); each must be a valid URL.
        for (const part of v.split(',')) {
          let u: URL;
          try {
            u = new URL(part.trim());
          } catch {
            throw invalid(name, v, expected);
          }
          if (!opts.protocols.includes(u.protocol.replace(/:$/, ''))) throw invalid(name, v, expected);
        }
        return v;
      },
    };
  },

  list(opts: Common<readonly string[]> & { item?: RegExp; itemText?: string }): EnvVar<readonly string[]> {
    const expected = `a comma-separated list of ${opts.itemText ?? 'values'}`;
    return {
      doc: opts.doc,
      defaultText: opts.default?.length ? opts.default.join(',') : undefined,
      parse(raw, name) {
        const v = withDefault(name, raw, opts, expected);
        if (typeof v !== 'string') return v;
        const items = v.split(',').map((s) => s.trim());
        if (items.some((s) => s === '' || (opts.item !== undefined && !opts.item.test(s)))) throw invalid(name, v, expected);
        return Object.freeze(items);
      },
    };
  },
};

/**
 * Reads every variable of `spec` from `source` (default `process.env`) and returns a frozen config.
 * Empty values count as unset. The first invalid variable throws a {@link ConfigError}.
 */
export function loadConfig<S extends EnvSpec>(spec: S, source: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec)) {
    const raw = source[name]?.trim();
    out[name] = variable.parse(raw === '' ? undefined : raw, name);
  }
  return Object.freeze(out) as ConfigOf<S>;
}
