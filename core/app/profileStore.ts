/**
 * The desktop app's list of drones, kept in <app folder>/profiles.json (0600: an attached drone's
 * token is in it): which config files it runs, which drones it attaches to, which of them were
 * running when the app last stopped, and the config files opened recently.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatPath } from '../config/errors.js';
import { writeFileAtomic } from '../util/privateFiles.js';

export const PROFILES_FILE = 'profiles.json';
const MAX_PROFILES = 50;
const MAX_RECENT = 10;

const id = z.string().regex(/^[a-z0-9-]{1,40}$/);
const name = z.string().min(1).max(100);
const localProfile = z.strictObject({ id, name, configFile: z.string().min(1).max(4096), run: z.boolean() });
const attachedProfile = z.strictObject({
  id,
  name,
  attach: z.strictObject({ url: z.string().min(1).max(2000), token: z.string().min(16).max(500) }),
  run: z.boolean(),
});
const storedProfile = z.union([localProfile, attachedProfile]);
const profilesFile = z.strictObject({
  version: z.literal(1),
  profiles: z.array(storedProfile).max(MAX_PROFILES),
  recent: z.array(z.string().min(1).max(4096)).max(MAX_RECENT),
});

export type StoredProfile = z.infer<typeof storedProfile>;
export type LocalProfile = z.infer<typeof localProfile>;
export type AttachedProfile = z.infer<typeof attachedProfile>;
export type ProfilesFile = z.infer<typeof profilesFile>;

export const isAttached = (p: StoredProfile): p is AttachedProfile => 'attach' in p;

/** Stable per config file or address, so that removing and adding a profile again keeps its id (and the UI's selection). */
export function profileId(kind: 'local' | 'attached', where: string): string {
  return `${kind === 'local' ? 'l' : 'a'}-${crypto.createHash('sha256').update(where).digest('hex').slice(0, 10)}`;
}

export class ProfileStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, PROFILES_FILE);
  }

  /**
   * The saved list; an empty one when there is none. A file that cannot be read as a profile list is
   * moved aside (never overwritten: it may be the user's only copy) and `onProblem` says where and why.
   */
  load(onProblem: (message: string) => void): ProfilesFile {
    const empty: ProfilesFile = { version: 1, profiles: [], recent: [] };
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onProblem(`cannot read the profile list ${this.file}: ${(err as Error).message}`);
      return empty;
    }
    let problem: string;
    try {
      const parsed = profilesFile.safeParse(JSON.parse(text));
      if (parsed.success) return dedupe(parsed.data);
      const first = parsed.error.issues[0]!;
      problem = `${formatPath(first.path)}: ${first.message}`;
    } catch (err) {
      problem = (err as Error).message;
    }
    const aside = `${this.file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      fs.renameSync(this.file, aside);
      onProblem(`the profile list ${this.file} is not valid (${problem}); it was moved to ${aside} and the app starts with no profiles`);
    } catch (err) {
      onProblem(`the profile list ${this.file} is not valid (${problem}), and could not be moved aside: ${(err as Error).message}`);
    }
    return empty;
  }

  save(list: ProfilesFile): void {
    writeFileAtomic(this.file, `${JSON.stringify(list, null, 2)}\n`, 0o600);
  }
}

/** A hand-edited file may list one profile twice; the first wins. */
function dedupe(list: ProfilesFile): ProfilesFile {
  const seen = new Set<string>();
  return { ...list, profiles: list.profiles.filter((p) => !seen.has(p.id) && seen.add(p.id)) };
}

/** The recent list with `file` first. */
export function withRecent(recent: readonly string[], file: string): string[] {
  return [file, ...recent.filter((f) => f !== file)].slice(0, MAX_RECENT);
}
