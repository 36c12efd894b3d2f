/**
 * The CLI's one error type: a mistake of the user's (a missing file, an unknown workflow, a
 * server that can't be reached) that main.ts prints as one line and turns into exit code 1.
 * Anything else that escapes a command is a bug and keeps its stack.
 */
export type CliErrorCode =
  'FOLDER_NOT_FOUND' | 'WORKFLOW_NOT_FOUND' | 'NO_WEBHOOK' | 'PAYLOAD_UNREADABLE' | 'PAYLOAD_INVALID' | 'SEND_FAILED';

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where a command writes: the process's streams in main.ts, a buffer in a test. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
