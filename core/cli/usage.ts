import fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: exit status 2 and the command's help hint. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** parseArgs with its errors turned into one plain line. */
type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(
  args: string[],
  options: T,
  allowPositionals = true,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function intOption(value: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** A file an option names (a certificate, a key), or a UsageError saying which option and why not. */
export function readOption(file: string, option: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
