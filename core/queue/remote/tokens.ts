/**
 * The gateway's tokens: one per drone (or per group of drones), each limited to the task types it
 * may claim and enqueue, and whether it may see and operate the whole queue. The file holds only
 * each token's SHA-256, so a copy of it lets nobody in; the token itself is shown once, when added.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError, describeIssue } from '../../config/errors.js';
import { writeFileAtomic, PRIVATE_FILE } from '../../util/privateFiles.js';
import { taskTypeName } from '../../config/schema.js';
import type { Grants } from './protocol.js';

export const DEFAULT_TOKENS_FILE = 'swarmage-gateway-tokens.json';

const TOKEN_PREFIX = 'swg_';

/** A type name, or a pattern where `*` stands for any run of characters. */
const typePattern = taskTypeName;

const tokenEntry = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" and "-", at most 63, such as "edge-1"')
    .describe('Who holds the token; its drones appear in the fleet as "<name>/<drone id>".'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the token, 64 hex digits'),
  claim: z.array(typePattern).default([]).describe('Task types its drones may claim and serve; "*" matches any run of characters.'),
  enqueue: z.array(typePattern).default([]).describe('Task types it may put on the queue.'),
  inspect: z.boolean().default(false).describe('May see and operate the whole queue: overview, fleet, failures, cancel, retry.'),
  created: z.string().optional(),
});

const tokensFile = z.strictObject({ tokens: z.array(tokenEntry) });

export type TokenEntry = z.output<typeof tokenEntry>;

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function grantsOf(e: TokenEntry): Grants {
  return { name: e.name, claim: e.claim, enqueue: e.enqueue, inspect: e.inspect };
}

/** Reads and checks a tokens file; a missing file is no tokens. Errors name the file and the field. */
export function readTokens(file: string): TokenEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = tokensFile.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  const names = new Set<string>();
  for (const [i, t] of parsed.data.tokens.entries()) {
    if (names.has(t.name)) throw new ConfigError(`${file}: tokens[${i}].name: "${t.name}" is taken by an earlier token`);
    names.add(t.name);
  }
  return parsed.data.tokens;
}

function writeTokens(file: string, tokens: TokenEntry[]): void {
  writeFileAtomic(file, JSON.stringify({ tokens }, null, 2) + '\n', PRIVATE_FILE);
}

/** Adds a token (or replaces the one of that name); returns the token, which exists nowhere else. */
export function addToken(file: string, grants: Grants): string {
  const token = TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
  const parsed = tokenEntry.safeParse({ ...grants, sha256: hashToken(token), created: new Date().toISOString() });
  if (!parsed.success) throw new ConfigError(`token ${JSON.stringify(grants.name)}: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  const entry = parsed.data;
  writeTokens(file, [...readTokens(file).filter((t) => t.name !== entry.name), entry]);
  return token;
}

/** Removes the token of that name; false when there was none. */
export function removeToken(file: string, name: string): boolean {
  const tokens = readTokens(file);
  const kept = tokens.filter((t) => t.name !== name);
  if (kept.length === tokens.length) return false;
  writeTokens(file, kept);
  return true;
}

/**
 * The tokens as the running gateway knows them: the file re-read whenever it changes, so that a
 * token added or removed takes effect without a restart. A file that turns bad keeps the last good
 * tokens (and says why).
 */
export class TokenStore {
  private byHash = new Map<string, TokenEntry>();
  private stamp = '';

  constructor(
    readonly file: string,
    private readonly onReloadError: (err: unknown) => void = () => {},
  ) {
    this.reload(true);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Re-reads the file if it changed; true when the tokens did. */
  refresh(): boolean {
    return this.reload(false);
  }

  private reload(first: boolean): boolean {
    let stamp: string;
    try {
      const st = fs.statSync(this.file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.stamp) return false;
    try {
      const tokens = readTokens(this.file);
      this.byHash = new Map(tokens.map((t) => [t.sha256, t]));
      this.stamp = stamp;
      return true;
    } catch (err) {
      if (first) throw err;
      this.stamp = stamp;
      this.onReloadError(err);
      return false;
    }
  }

  /** The entry of a token presented by a client, or null. */
  find(token: string): TokenEntry | null {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    return this.byHash.get(hashToken(token)) ?? null;
  }

  /** The entry of that name as the file now says (null: removed). */
  current(name: string): TokenEntry | null {
    for (const t of this.byHash.values()) if (t.name === name) return t;
    return null;
  }
}
