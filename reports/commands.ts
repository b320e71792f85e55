/**
 * The commands detsim prints for a person to paste: free of Node APIs, so `detsim/testing` can use
 * them in a test that is type-checked without Node's types.
 */

/** The `detsim run` command for a seed with the user's pins. */
export function runCommand(scenario: string, seed: number, pins: Record<string, unknown>, swarm: boolean, buggify: boolean, singleStream = false): string {
  const parts = ['npx detsim run', shellQuote(scenario), '--seed', String(seed)];
  for (const [k, v] of Object.entries(pins)) parts.push('--param', shellQuote(`${k}=${String(v)}`));
  if (!swarm) parts.push('--no-swarm');
  if (!buggify) parts.push('--no-buggify');
  if (singleStream) parts.push('--single-stream');
  return parts.join(' ');
}

/** `s` as one shell word: as is when it is plain, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The words of a command line as a POSIX shell splits it: blanks separate, single quotes keep
 * everything, double quotes keep all but `\"` and `\\`, a backslash outside quotes keeps the next
 * character. Reads back what {@link shellQuote} wrote, and a plain `a b c` line as its words.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (word !== null) words.push(word);
      word = null;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      word = (word ?? '') + line.slice(i + 1, stop);
      i = stop;
    } else if (ch === '"') {
      word ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        word += line[i];
      }
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else word = (word ?? '') + ch;
  }
  if (word !== null) words.push(word);
  return words;
}
