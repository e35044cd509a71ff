// CLI wiring only: parse flags, call the API, print. Exit codes: 0 nothing found / all done,
// 1 findings (scan) or fixes that could not be applied (fix), 2 usage or fatal errors. Started by
// src/bin.ts (dist/cli.js), which answers `--version` alone without loading this.
import { Command, CommanderError, Option } from 'commander';
import { stdout } from './cli/stdout.js';
import { VERSION } from './generated/version.js';

const program = new Command();

/**
 * The module of a heavy command (see src/cli/load.ts); loaded only when that command runs. Commands
 * write to process.stdout: a reader that goes away must not be an error for them either (stdout()).
 */
const command = async <T>(name: 'scan' | 'fix' | 'bulk' | 'init', fromSources: () => Promise<T>): Promise<T> => {
  stdout();
  return (await import('./cli/load.js')).loadCommand(name, fromSources);
};

/** `--from a --from b` collects both. */
const collect = (value: string, previous: string[]) => [...previous, value];

program
  .name('shipshape')
  .description('Find and fix production-readiness problems in a repository, keeping every comment and untouched byte.')
  .version(VERSION, '-V, --version')
  .option('--no-color', 'disable coloured output (also NO_COLOR)')
  // Before the commands are added: they inherit it. Help and the version go through stdout().
  .configureOutput({ writeOut: (text) => stdout().write(text) })
  .showHelpAfterError()
  .exitOverride();

const selection = (cmd: Command) =>
  cmd
    .option('--only <ids>', 'only these rules (comma-separated rule ids or areas, e.g. dockerfile)')
    .option('--skip <ids>', 'skip these rules (comma-separated rule ids or areas)')
    .option('--config <file>', 'configuration file (default: .shipshape.yml in the scanned root)')
    .option('--follow-symlinks', 'read and edit symbolic links that point inside the scanned root')
    .option('--max-file-size <bytes>', 'skip files larger than this (default 2 MiB)');

selection(
  program
    .command('scan')
    .description('report problems; exit 0 when none, 1 when some, 2 on errors')
    .argument('[path]', 'repository to scan', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--output <file>', 'write the report to a file')
    .option('--fail-on <severity>', 'exit 1 only for findings of this severity or worse (critical, high, medium, low)')
    .option('--report-unused-suppressions', 'list shipshape-ignore comments that match nothing (exit 1 when any)')
    .option('--from <report>', "match another tool's report (SARIF, Trivy/Checkov/KICS/Semgrep/hadolint JSON) or a Markdown audit report; repeatable", collect, [])
    .option('--no-cache', "don't reuse or keep the findings of rules whose inputs did not change (the result cache)"),
).action(async (path: string, opts) => {
  const { runScan } = await command('scan', () => import('./cli/scan.js'));
  process.exitCode = await runScan(path, { ...program.opts(), ...opts });
});

selection(
  program
    .command('fix')
    .description('review and apply fixes (interactive in a terminal)')
    .argument('[path]', 'repository to fix', '.')
    .option('--dry-run', 'print one unified patch of the selected fixes; write nothing')
    .option('--output <file>', 'with --dry-run: write the patch to a file')
    .option('-y, --yes', 'apply without asking (safe fixes; add --all for review fixes)')
    .option('--all', 'include fixes marked review (not only safe ones)')
    .option('--tls', 'compose/reverse-proxy: also serve HTTPS (443, HSTS, HTTP→HTTPS redirect)')
    .option('--from <report>', "fix only what another tool's report or an audit report found (see scan --from); repeatable", collect, [])
    .option('--no-cache', "don't take the first scan's findings from scan's result cache, nor keep them there"),
).action(async (path: string, opts) => {
  const { runFix } = await command('fix', () => import('./cli/fix.js'));
  process.exitCode = await runFix(path, { ...program.opts(), ...opts });
});

selection(
  program
    .command('bulk')
    .description('one branch (and pull request) per fix, built with git plumbing; the working tree is never touched')
    .argument('[path]', 'repository (or a directory in it) to fix', '.')
    .option('--all', 'include fixes marked review (not only safe ones)')
    .addOption(new Option('--group-by <what>', 'one branch per rule, per rule and file, or per finding').choices(['rule', 'file', 'finding']).default('rule'))
    .option('--base <ref>', 'commit the branches start from (default: HEAD)')
    .option('--branch-prefix <prefix>', 'prefix of the branch names (default: shipshape/)')
    .option('--push <remote>', 'push created and updated branches to this remote (with lease)')
    .option('--pr', 'open a pull request per branch with the GitHub CLI (gh); needs --push')
    .option('--rebase', 'also rebuild branches whose fix is unchanged but which are behind the base')
    .option('--dry-run', 'list the branches, commit titles and diffstats; create nothing')
    .option('--json', 'print the result as JSON')
    .option('--tls', 'compose/reverse-proxy: also serve HTTPS (443, HSTS, HTTP→HTTPS redirect)')
    .option('--from <report>', "only the fixes for what another tool's report or an audit report found (see scan --from); repeatable", collect, []),
).action(async (path: string, opts) => {
  const { runBulk } = await command('bulk', () => import('./cli/bulk.js'));
  process.exitCode = await runBulk(path, { ...program.opts(), ...opts });
});

program
  .command('init')
  .description('write a commented starter .shipshape.yml')
  .argument('[path]', 'repository root', '.')
  .action(async (path: string) => {
    const { runInit } = await command('init', () => import('./cli/init.js'));
    process.exitCode = await runInit(path);
  });

program
  .command('rules')
  .description('list the rules: id, severity, fix safety, title')
  .option('--json', 'as JSON')
  .action(async (opts) => {
    const { runRulesList } = await import('./cli/info.js');
    process.exitCode = runRulesList({ ...program.opts(), ...opts });
  });

program
  .command('explain')
  .description('why a rule matters and what its fix does')
  .argument('<rule-id>')
  .action(async (id: string) => {
    const { runExplain } = await import('./cli/info.js');
    process.exitCode = runExplain(id, program.opts());
  });

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`shipshape: ${(e as Error).message}\n`);
    if (process.env.SHIPSHAPE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 2;
  }
}

void main();
