/**
 * Reading the files a user hands detsim (repro files, regression lists, results files, histories)
 * with a bound on what is kept: a device (`/dev/zero`, a symlink to it) or a file far larger than
 * any detsim writes made `replay`, `shrink`, `export` and `regress` read without end, their heap
 * growing by gigabytes, and `merge` die with a RangeError stack (review13h). Such input is now a
 * one-line error before anything else is done.
 */
import { closeSync, fstatSync, openSync, read, readSync, type Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Bytes of a repro file or regression list read at most (detsim writes a few MB; a script of 600,000 entries about 50). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** Characters of one line of a results file read at most (detsim writes a few KB a line). */
export const MAX_RESULT_LINE = 64 * 1024 * 1024;

/** Why an input file cannot be read: the message is one line, naming the file. */
export class InputFileError extends Error {
  override name = 'InputError';
  constructor(
    what: string,
    file: string,
    /** Why, without the file: for callers that name the file their own way. */
    readonly reason: string,
    /** The system's error code (ENOENT, EISDIR...) when there is one. */
    readonly code?: string,
  ) {
    super(`cannot read ${what} ${file}: ${reason}`);
  }
}

const mb = (n: number): string => `${Math.round(n / (1024 * 1024))} MB`;

/**
 * Opens `file` for reading and checks it is something detsim can read to its end: a file or a
 * pipe, not a folder or a device. Throws InputFileError (`what` names the input in the message).
 */
export function openInput(file: string, what: string): { fd: number; stat: Stats } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(what, file, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message), code);
  }
  const stat = fstatSync(fd);
  const refuse = (why: string, code?: string): never => {
    closeSync(fd);
    throw new InputFileError(what, file, why, code);
  };
  if (stat.isDirectory()) refuse('it is a folder; name a file', 'EISDIR');
  if (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isSocket()) refuse('it is a device, not a file (a symlink to /dev/zero?)');
  return { fd, stat };
}

/** How readInputText reads one input, when not as a repro file or regression list is read. */
export interface ReadInputOptions {
  /** Why a file over `maxBytes` is refused (default: more than detsim ever writes). */
  tooBigReason?: string;
  /** Called before each megabyte is read and once after the last (a caller that may stop a long read throws from it). */
  beforeRead?: () => void;
}

/**
 * Reads `file` whole as UTF-8, at most `maxBytes` (a pipe is read until it passes them). A larger
 * one is an InputFileError, found before it is read when its size is known.
 */
export function readInputText(file: string, what: string, maxBytes = MAX_INPUT_BYTES, opts: ReadInputOptions = {}): string {
  const { fd, stat } = openInput(file, what);
  const tooBig = (): InputFileError => new InputFileError(what, file, opts.tooBigReason ?? `it is larger than ${mb(maxBytes)}, more than detsim ever writes (is it the right file?)`);
  try {
    if (stat.isFile() && stat.size > maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      opts.beforeRead?.();
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw new InputFileError(what, file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig();
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    const text = Buffer.concat(chunks, total).toString('utf8');
    opts.beforeRead?.();
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * The lines of `file` (split at \n, a \r before it dropped), read 64 KB at a time: flat
 * memory however long the file. A line longer than `maxLine` characters is an InputFileError
 * naming its number (readline kept it whole until V8 refused the string, and its RangeError was
 * thrown outside any caller's reach).
 */
export async function* inputLines(file: string, what: string, maxLine = MAX_RESULT_LINE): AsyncGenerator<string> {
  const { fd } = openInput(file, what);
  const readChunk = (buf: Buffer): Promise<number> =>
    new Promise((resolve, reject) => read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.allocUnsafe(1 << 16);
  let rest = '';
  let n = 0;
  const tooLong = (): InputFileError => new InputFileError(what, file, `line ${n + 1} is longer than ${mb(maxLine)}, more than detsim ever writes (is it the right file?)`);
  try {
    for (;;) {
      let got: number;
      try {
        got = await readChunk(buf);
      } catch (e) {
        throw new InputFileError(what, file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      }
      const text = got === 0 ? decoder.end() : decoder.write(buf.subarray(0, got));
      let from = 0;
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', from)) {
        const piece = text.slice(from, at);
        if (rest.length + piece.length > maxLine) throw tooLong();
        const line = rest + piece;
        rest = '';
        from = at + 1;
        n++;
        yield line.endsWith('\r') ? line.slice(0, -1) : line;
      }
      if (rest.length + text.length - from > maxLine) throw tooLong();
      rest += text.slice(from);
      if (got === 0) break;
    }
    if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  } finally {
    closeSync(fd);
  }
}
