import { IDENTIFIER, SCHEMA_MAX } from '../../config/schema.js';

/**
 * The only place an identifier enters SQL text: a schema name checked against a strict pattern and
 * double-quoted. Every value goes in as a parameter.
 */
export function quoteIdent(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}: use lower-case letters, digits and _, at most ${SCHEMA_MAX} characters`);
  return `"${name}"`;
}

/** Replaces {schema} (the quoted schema) in a statement; built once per queue, not per call. */
export function withSchema(schema: string, text: string): string {
  return text.replaceAll('{schema}', quoteIdent(schema));
}

/** The LISTEN/NOTIFY channel for a schema. */
export function channelFor(schema: string): string {
  return `${schema}_tasks`;
}
