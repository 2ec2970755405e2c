import { runCli } from './cli.js';

// The `foundation` command: exit with what the command returned.
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
