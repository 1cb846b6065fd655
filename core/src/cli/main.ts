import { CaudalError, errorMessage } from '../util/errors.js';
import { packageVersion } from '../util/package-root.js';
import { didYouMean } from '../util/suggest.js';
import { EXIT } from './exit-codes.js';
import { COMMAND_HELP, COMMANDS, GLOBAL_HELP, isCommand, type CommandName } from './help.js';
import type { Io } from './io.js';

type Command = (args: string[], io: Io) => Promise<number>;

/**
 * Each command's module is loaded only when it runs: the engine, DuckDB's bindings, pg and the
 * node registry are heavy, and `--version`, `--help` or a usage error should not wait for them.
 */
const load: Record<CommandName, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  preview: async () => (await import('./preview.js')).previewCommand,
  sql: async () => (await import('./sql.js')).sqlCommand,
  profile: async () => (await import('./profile.js')).profileCommand,
  connections: async () => (await import('./connections.js')).connectionsCommand,
  state: async () => (await import('./state.js')).stateCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  doctor: async () => (await import('./clean.js')).doctorCommand,
  clean: async () => (await import('./clean.js')).cleanCommand,
  export: async () => (await import('./export.js')).exportCommand,
};

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (isCommand(command)) {
      if (wantsHelp(rest)) {
        io.stdout.write(COMMAND_HELP[command] + '\n');
        return EXIT.ok;
      }
      return await (await load[command]())(rest, io);
    }
    switch (command) {
      case '--version':
      case '-v':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT.ok;
      case 'help':
        if (isCommand(rest[0])) {
          io.stdout.write(COMMAND_HELP[rest[0]] + '\n');
          return EXIT.ok;
        }
        io.stdout.write(GLOBAL_HELP + '\n');
        return EXIT.ok;
      case '--help':
      case '-h':
        io.stdout.write(GLOBAL_HELP + '\n');
        return EXIT.ok;
      case undefined:
        io.stderr.write(GLOBAL_HELP + '\n');
        return EXIT.invalid;
      default:
        throw new CaudalError('usage', `unknown command '${command}'${didYouMean(command, COMMANDS)}`, { hint: `commands: ${COMMANDS.join(', ')}` });
    }
  } catch (e) {
    const err = e instanceof CaudalError ? e : new CaudalError('execution', errorMessage(e));
    if (argv.includes('--json')) io.stdout.write(JSON.stringify({ type: 'error', error: err.toJSON() }) + '\n');
    else {
      io.stderr.write(`caudal: ${err.message}\n`);
      if (err.hint) io.stderr.write(`  hint: ${err.hint}\n`);
      if (err.kind === 'usage') io.stderr.write(`  run 'caudal ${isCommand(command) ? `${command} ` : ''}--help' for usage\n`);
    }
    return err.kind === 'usage' || err.kind === 'validation' || err.kind === 'io' ? EXIT.invalid : EXIT.runFailed;
  }
}
