/**
 * How a message reads in the trace: its type and its key fields ("vote t3 last 8/2",
 * "app t3 prev 5/2 entries 6..8 commit 4"), not only its type. A system declares a summary per
 * message type on its network (`w.net.describeMessages({...})`, done by its kit); any other
 * message gets the default: its `type` and a compact rendering of the body's small fields.
 *
 * Summaries are read only when a trace line is shown or written (`--trace`, a failure's short
 * log, a timeline): never on a sweep's hot path, never hashed. They must not change the body.
 */

/** Renders one message body as a short line (without its type: the trace line names it), or undefined to fall back to the default. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MessageSummary = (body: any) => string | undefined;

/** Summaries by message type (the body's `type` field). */
export type MessageSummaries = Readonly<Record<string, MessageSummary>>;

/** A summary line is cut at this many characters. */
export const SUMMARY_MAX = 160;
/** Fields the default rendering shows at most. */
const DEFAULT_FIELDS = 8;
/** A string field longer than this is cut. */
const STRING_MAX = 24;

/** The body's `type` field, if it has one, names the message; else its first keys. */
export function messageType(b: unknown): string {
  if (b === null || typeof b !== 'object') return typeof b;
  const t = (b as { type?: unknown }).type;
  if (typeof t === 'string') return t;
  const keys = Object.keys(b);
  return `{${keys.slice(0, 4).join(',')}${keys.length > 4 ? ',…' : ''}}`;
}

function scalar(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'string':
      return v.length > STRING_MAX ? `${JSON.stringify(v.slice(0, STRING_MAX - 1))}…` : /^[\w.:/-]+$/.test(v) ? v : JSON.stringify(v);
    default:
      if (v === null) return 'null';
      return undefined;
  }
}

function field(v: unknown, depth: number): string | undefined {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (Array.isArray(v)) return `[${v.length}]`;
  if (v instanceof Map) return depth === 0 && v.size <= 4 ? `{${[...v].map(([k, x]) => `${String(k)}:${field(x, 1) ?? '?'}`).join(' ')}}` : `Map(${v.size})`;
  if (v instanceof Set) return `Set(${v.size})`;
  if (v instanceof Uint8Array) return `<${v.length} B>`;
  if (typeof v === 'object' && depth === 0) {
    // A small nested object (an operation, a result) in one level of braces.
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const r = field(x, 1);
      if (r === undefined) continue;
      parts.push(`${k}=${r}`);
      if (parts.length >= 4) break;
    }
    return parts.length > 0 ? `{${parts.join(' ')}}` : '{}';
  }
  return '{…}';
}

/**
 * The default summary: the body's own fields but `type`, `from` and `to` (the line names them),
 * as `key=value`: numbers, booleans, short strings; arrays as their length `[n]`; a nested
 * object's first small fields in braces. At most 8 fields; a scalar body is shown as itself.
 */
export function defaultSummary(body: unknown): string {
  const s = scalar(body);
  if (s !== undefined) return s;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return field(body, 0) ?? '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === 'type' || k === 'from' || k === 'to') continue;
    const r = field(v, 0);
    if (r === undefined) continue;
    parts.push(`${k}=${r}`);
    if (parts.length >= DEFAULT_FIELDS) break;
  }
  return parts.join(' ');
}

/** A network's message summaries: the declared ones by type, then the default. */
export class MessageDescriber {
  private readonly byType = new Map<string, MessageSummary[]>();

  /** Adds summaries; several may share a type (systems sharing a world): the first that answers wins. */
  add(table: MessageSummaries): void {
    for (const [type, fn] of Object.entries(table)) {
      const list = this.byType.get(type);
      if (list === undefined) this.byType.set(type, [fn]);
      else if (!list.includes(fn)) list.push(fn);
    }
  }

  /** "type key fields", at most SUMMARY_MAX characters. A summary that throws falls back to the default. */
  describe(body: unknown): string {
    const typed = typeof body === 'object' && body !== null && typeof (body as { type?: unknown }).type === 'string';
    // An untyped body (a client reply {op, ok, ...}) reads as its fields in braces.
    if (!typed) return cut(typeof body === 'object' && body !== null && !Array.isArray(body) ? `{${defaultSummary(body)}}` : `${messageType(body)} ${defaultSummary(body)}`);
    const type = (body as { type: string }).type;
    let rest: string | undefined;
    const list = this.byType.get(type);
    if (list !== undefined) {
      for (const fn of list) {
        try {
          rest = fn(body);
        } catch {
          rest = undefined;
        }
        if (rest !== undefined) break;
      }
    }
    rest ??= defaultSummary(body);
    return cut(rest === '' ? type : `${type} ${rest}`);
  }
}

function cut(line: string): string {
  return line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line;
}

/** `a..b` of the first and last of a list of numbers (or the one, or "none"): entries, sequence numbers. */
export function span(xs: readonly number[]): string {
  if (xs.length === 0) return 'none';
  const a = xs[0]!;
  const b = xs[xs.length - 1]!;
  return a === b ? String(a) : `${a}..${b}`;
}

/** Up to `max` names, then "+n more". */
export function names(xs: readonly string[], max = 4): string {
  return xs.length <= max ? xs.join(',') : `${xs.slice(0, max).join(',')},+${xs.length - max} more`;
}
