// What every `hlsgate` command module provides, and the I/O main() hands it.

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  /** Epoch milliseconds. */
  now: () => number;
}

export interface Command {
  /** Its lines of the usage text (indented two spaces, continuation lines further). */
  readonly usage: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[], io: CliIO): number | Promise<number>;
  /** It keeps the process running after `run` resolves with 0 (a server). */
  readonly keepsRunning?: boolean;
}
