// Minimal ANSI colouring, off with --no-color, NO_COLOR, or when the stream is not a terminal.
let enabled = false;

export function setColor(on: boolean): void {
  enabled = on;
}

export function colorWanted(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  return colorWantedIf(() => Boolean(stream.isTTY), flag);
}

/** colorWanted, asking whether the output is a terminal only when the flag and the environment leave it open. */
export function colorWantedIf(isTTY: () => boolean, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return isTTY();
}

const wrap = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);

export const c = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  blue: wrap(34, 39),
  magenta: wrap(35, 39),
  cyan: wrap(36, 39),
};
