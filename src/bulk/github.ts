// Pull requests through the GitHub CLI (`gh`), which brings its own authentication (gh auth login,
// GH_TOKEN in CI) and repository detection from the clone's remotes. Nothing here speaks HTTP.
import { run, SpawnError } from '../git/process.js';

export class GhError extends Error {}

export class GitHubCli {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly cwd: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.env = { ...env, GH_PROMPT_DISABLED: '1' };
  }

  private async gh(args: string[]) {
    try {
      return await run('gh', args, { cwd: this.cwd, env: this.env });
    } catch (e) {
      if (e instanceof SpawnError && e.code === 'ENOENT') {
        throw new GhError('--pr needs the GitHub CLI, and `gh` is not installed or not on PATH (see https://cli.github.com)');
      }
      throw e;
    }
  }

  /** Fail early, before any branch is made, when gh is missing or not logged in. */
  async check(): Promise<void> {
    const res = await this.gh(['auth', 'status']);
    if (res.code !== 0) {
      const why = (res.stderr || res.stdout.toString('utf8')).trim().split('\n').slice(-2).join(' ');
      throw new GhError(`--pr needs the GitHub CLI logged in, and \`gh auth status\` failed${why ? `: ${why}` : ''} (run \`gh auth login\`, or set GH_TOKEN in CI)`);
    }
  }

  /** The number of the open pull request whose head is branch, or null. */
  async openPr(branch: string): Promise<number | null> {
    const res = await this.gh(['pr', 'list', '--head', branch, '--state', 'open', '--json', 'number']);
    if (res.code !== 0) throw new GhError(`gh pr list failed: ${res.stderr.trim()}`);
    let list: unknown;
    try {
      list = JSON.parse(res.stdout.toString('utf8') || '[]');
    } catch {
      throw new GhError(`gh pr list gave output that is not JSON: ${res.stdout.toString('utf8').slice(0, 200)}`);
    }
    if (!Array.isArray(list) || list.length === 0) return null;
    const n = (list[0] as { number?: unknown }).number;
    return typeof n === 'number' ? n : null;
  }

  /** Open a pull request; returns what gh prints (its URL). */
  async createPr(branch: string, base: string, title: string, bodyFile: string): Promise<string> {
    const res = await this.gh(['pr', 'create', '--head', branch, '--base', base, '--title', title, '--body-file', bodyFile]);
    if (res.code !== 0) throw new GhError(`gh pr create failed: ${res.stderr.trim()}`);
    return res.stdout.toString('utf8').trim();
  }
}
