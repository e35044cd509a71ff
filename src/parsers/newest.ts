// The newest parse of each file path, by text. A fix run would otherwise parse each fixed text twice:
// the engine validates it (validate.ts), then the next detection reads it through the workspace.
// One model per path (a new text replaces it; at most `max` paths, the oldest dropped first), so no
// old version of a file stays alive; models are shared and never mutated (as the workspace's parse
// cache shares them).

/** `parse` with a cache of the newest model of each path, returned while the text is the same. */
export function newestByPath<T extends { text: string }>(max: number, parse: (text: string, file: string) => T): (text: string, file: string) => T {
  const recent = new Map<string, T>();
  return (text, file) => {
    const hit = recent.get(file);
    if (hit && hit.text === text) return hit;
    const m = parse(text, file);
    recent.delete(file);
    if (recent.size >= max) recent.delete(recent.keys().next().value!);
    recent.set(file, m);
    return m;
  };
}
