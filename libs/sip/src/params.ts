/** A parameter list: ordered `[name, value]` pairs, value undefined for a bare flag (`;lr`). */
export type Params = readonly (readonly [string, string | undefined])[];

/** Unquotes a quoted-string (RFC 3261 §25.1), resolving `\` escapes; returns other values as they are. */
export function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

export function quote(v: string): string {
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Splits `s` at `sep` characters outside quoted strings. Used for `;param` lists and `,`-separated
 * auth-params.
 */
export function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Parses `name=value;flag;name="quoted"` (without the leading `;`). Values stay as written (quoted or not). */
export function parseParams(s: string, sep = ';'): Params {
  if (s.trim() === '') return [];
  return splitOutsideQuotes(s, sep)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? ([p, undefined] as const) : ([p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const);
    });
}

/** The value of parameter `name` (case-insensitive), unquoted; `''` for a bare flag; undefined if absent. */
export function param(params: Params, name: string): string | undefined {
  const l = name.toLowerCase();
  const p = params.find(([n]) => n.toLowerCase() === l);
  if (!p) return undefined;
  return p[1] === undefined ? '' : unquote(p[1]);
}

export function formatParams(params: Params, sep = ';'): string {
  return params.map(([n, v]) => `${sep}${n}${v === undefined ? '' : `=${v}`}`).join('');
}
