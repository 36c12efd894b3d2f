/** Reading the `--payload` file and the `--header` options shared by `run` and `send`. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { CliError } from './cli.errors.js';

export async function readPayloadFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CliError('PAYLOAD_UNREADABLE', `cannot read the payload file "${path}": ${reason}`);
  }
}

export function parseJsonPayload(path: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new CliError('PAYLOAD_INVALID', `the payload file "${path}" is not JSON: ${(error as Error).message}`);
  }
}

/** The content type a payload file is sent with, by its extension; JSON unless it says otherwise. */
export function contentTypeFor(path: string): string {
  switch (extname(path).toLowerCase()) {
    case '.xml':
      return 'application/xml';
    case '.txt':
      return 'text/plain';
    default:
      return 'application/json';
  }
}

/** Commander's collector for a repeatable `--header 'Name: value'`; names are kept lower-case, as Node gives them. */
export function collectHeader(raw: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const header = parseHeader(raw);
  if (!header) throw new InvalidArgumentError("expected 'Name: value'.");
  return [...previous, header];
}

export function parseHeader(raw: string): [string, string] | undefined {
  const colon = raw.indexOf(':');
  const name = colon === -1 ? '' : raw.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return undefined;
  return [name.toLowerCase(), raw.slice(colon + 1).trim()];
}
