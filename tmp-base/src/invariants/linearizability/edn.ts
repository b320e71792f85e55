/**
 * A reader for the one EDN shape history files use: a flat map per line, e.g.
 * `{:process 0, :type :invoke, :f :get, :key "0", :value nil}`. Values may be keywords, strings,
 * integers, nil, true and false; nested collections are rejected. Commas are whitespace (EDN).
 */

/** An EDN keyword such as `:invoke`, kept apart from strings so `"ok"` and `:ok` differ. */
export class Keyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

export type EdnScalar = string | number | boolean | null | Keyword;

/** Thrown with a reason; the caller adds file and line. */
export class EdnSyntaxError extends Error {
  override name = 'EdnSyntaxError';
}

const WS = /[\s,]/;
const SYMBOL_CHAR = /[A-Za-z0-9*+!\-_?<>=./]/;

export function readEdnMap(text: string): Map<string, EdnScalar> {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && WS.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new EdnSyntaxError(`${what} at column ${i + 1}`);
  };
  const symbol = (): string => {
    const start = i;
    while (i < text.length && SYMBOL_CHAR.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const scalar = (): EdnScalar => {
    const c = text[i];
    if (c === undefined) return fail('unexpected end of line');
    if (c === '"') return string();
    if (c === ':') {
      i++;
      const name = symbol();
      return name === '' ? fail('empty keyword') : new Keyword(name);
    }
    if (c === '{' || c === '[' || c === '(' || c === '#') return fail(`nested value "${c}" not supported`);
    const word = symbol();
    if (word === 'nil') return null;
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (/^[-+]?\d+$/.test(word)) return Number(word);
    return fail(word === '' ? `unexpected "${c}"` : `unexpected symbol "${word}"`);
  };
  const string = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      // Copy the run up to the next quote or backslash in one slice (values may be kilobytes long).
      const q = text.indexOf('"', i);
      const b = text.indexOf('\\', i);
      const end = q === -1 ? b : b === -1 ? q : Math.min(q, b);
      if (end > i) {
        out += text.slice(i, end);
        i = end;
      }
      const c = text[i++];
      if (c === undefined) return fail('unterminated string');
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      const escapes: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
      if (e === undefined || escapes[e] === undefined) return fail(`bad escape "\\${e ?? ''}"`);
      out += escapes[e];
    }
  };

  skip();
  if (text[i] !== '{') fail('expected "{"');
  i++;
  const map = new Map<string, EdnScalar>();
  for (;;) {
    skip();
    if (text[i] === '}') {
      i++;
      break;
    }
    const key = scalar();
    if (!(key instanceof Keyword)) return fail('map keys must be keywords');
    skip();
    if (text[i] === '}') return fail(`key :${key.name} has no value`);
    const value = scalar();
    if (map.has(key.name)) return fail(`duplicate key :${key.name}`);
    map.set(key.name, value);
  }
  skip();
  if (i < text.length) fail('text after the closing "}"');
  return map;
}
