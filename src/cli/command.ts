import { CommanderError, InvalidArgumentError } from 'commander';

/**
 * Runs a command-line tool's `main` and sets the process's exit code from its outcome: the code it
 * returns; 2 for bad usage (commander has printed the message or the help text, or the message of
 * an invalid argument is printed here); 1, with a one-line message, for any other failure.
 */
export function runCommand(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // An InvalidArgumentError is a CommanderError too, but one thrown after parsing (flags that
      // do not fit together) has not been printed yet.
      if (error instanceof InvalidArgumentError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exitCode = 2;
      } else if (error instanceof CommanderError) {
        process.exitCode = error.exitCode === 0 ? 0 : 2;
      } else {
        process.stderr.write(
          `${name}: failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exitCode = 1;
      }
    },
  );
}
