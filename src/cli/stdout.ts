// Standard output of the command line (issue 9, start-up). process.stdout is created on first use,
// and creating it is a fair part of a short command: a socket when stdout is a pipe, with Node's
// stream and net modules to load. `rules` and `explain` write their text straight to file
// descriptor 1 instead; everything else uses process.stdout through stdout(), which first installs the
// handler that makes a reader going away not an error.
import fs from 'node:fs';

let guarded = false;

/**
 * process.stdout, once a reader that goes away (`shipshape rules | head -1`) is no longer an error:
 * the rest of the output is dropped and the run finishes as it would have (a fix being written is not
 * cut short). Call it before anything writes to process.stdout.
 */
export function stdout(): NodeJS.WriteStream {
  if (!guarded) {
    guarded = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      throw e;
    });
  }
  return process.stdout;
}

/**
 * Write text to standard output: straight to file descriptor 1 (what process.stdout does too for
 * files, pipes and terminals on Linux: a blocking write of the same bytes). When a write fails (a
 * reader gone, a non-blocking pipe that is full, a closed descriptor…) what is left goes to
 * process.stdout, which meets the same condition and handles it as it always did (an EPIPE is
 * dropped, see stdout()); so does everything written after it, so that the output stays in order.
 */
export const writeStdout: (text: string) => void = directWriter((b, off, len) => fs.writeSync(1, b, off, len), stdout);

/** writeStdout, with `write` (a write to file descriptor 1) and `stream` (process.stdout) given. */
export function directWriter(write: (b: Uint8Array, off: number, len: number) => number, stream: () => { write(b: Uint8Array): unknown }): (text: string) => void {
  let direct = true;
  return (text) => {
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    if (direct) {
      try {
        while (done < bytes.length) {
          const n = write(bytes, done, bytes.length - done);
          if (!(n > 0)) break;
          done += n;
        }
      } catch {
        /* what is left goes to the stream */
      }
      if (done === bytes.length) return;
      direct = false;
    }
    stream().write(bytes.subarray(done));
  };
}

/**
 * Whether standard output is a terminal (process.stdout.isTTY) without creating process.stdout: a
 * terminal is a character device, so anything else (a file, a pipe, a socket, a closed descriptor) is
 * known from fstat alone; a character device is asked (it may be /dev/null).
 */
export function stdoutIsTTY(fstat: (fd: number) => fs.Stats = fs.fstatSync): boolean {
  let st: fs.Stats;
  try {
    st = fstat(1);
  } catch {
    return false;
  }
  if (!st.isCharacterDevice()) return false;
  const tty = process.getBuiltinModule?.('node:tty');
  return tty ? tty.isatty(1) : Boolean(stdout().isTTY);
}
