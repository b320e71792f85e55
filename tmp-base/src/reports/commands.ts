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
