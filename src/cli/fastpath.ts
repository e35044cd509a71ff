// `shipshape --version` without loading the command line (issue 9, cold start): src/bin.ts answers
// it before commander and the program are loaded — they are most of its start-up once Node itself
// has started.

/**
 * Whether the arguments (after `node cli.js`) are exactly `--version` or `-V`: the only shapes
 * answered without commander. Anything else — another option before or after it (`--no-color -V`,
 * `--version extra`), a command (`rules -V`), `--version=…` — goes through commander, which decides
 * what it means (some of those print the version too, some are errors).
 */
export function isVersionOnly(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}

/**
 * Write what commander writes for `--version` (the version and a newline, on stdout; exit code 0)
 * with `write` (src/bin.ts: straight to file descriptor 1 — creating process.stdout, a socket for a
 * pipe, costs more than the rest of this path). Returns false when nothing could be written (a closed
 * pipe, a non-blocking one that is full, a full disk…): the caller then runs commander, which meets
 * the same condition and handles it as usual (an EPIPE is ignored: src/cli/stdout.ts). What a short write
 * left (only possible on a full disk: writes under PIPE_BUF are atomic on a pipe) goes to `rest`.
 */
export function writeVersion(version: string, write: (text: string) => number, rest: (text: string) => unknown = (t) => process.stdout.write(t)): boolean {
  const text = `${version}\n`;
  let n: number;
  try {
    n = write(text);
  } catch {
    return false;
  }
  // The text is ASCII: bytes written are characters written.
  if (n < text.length) rest(text.slice(n));
  return true;
}
