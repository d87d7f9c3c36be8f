// Argument parsing shared by the commands: node:util parseArgs in strict mode, flag readers, and
// the error shown as is (no stack) for wrong usage or bad input.
import { parseArgs } from 'node:util';

/** An error whose message is shown as is, without a stack: wrong usage or bad input. */
export class UsageError extends Error {}

export type Flags = Record<string, string | boolean | undefined>;

export type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

export function parse(args: string[], options: OptionSpec): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { flags: values, positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(flags: Flags, name: string): string {
  const v = str(flags, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
