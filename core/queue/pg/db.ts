import type pg from 'pg';
import { withSchema } from './sql.js';

/** Anything that can run a query: a pool, a client. */
export type Db = Pick<pg.Pool, 'query'> | Pick<pg.ClientBase, 'query'>;

/** A statement whose text depends only on the schema; the text is built once per schema. */
export function statement(template: string): (schema: string) => string {
  const cache = new Map<string, string>();
  return (schema) => {
    let text = cache.get(schema);
    if (!text) cache.set(schema, (text = withSchema(schema, template)));
    return text;
  };
}
