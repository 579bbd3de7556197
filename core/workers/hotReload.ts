import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { codeVersionOf } from './instance.js';
import type { WorkerPoolLike } from './poolLike.js';
import { reason } from '../util/redact.js';

const DEBOUNCE_MS = 200;

/**
 * Dev mode: watches each worker module file and, when its content changes, restarts the instances
 * of the types it serves one after another (gracefully: running tasks finish, waiting ones go back
 * to the buffer). Watches the directories, not the files, so editors that replace a file on save
 * (write a new one, rename it over) keep being seen.
 */
export class HotReloader {
  private readonly watchers: fs.FSWatcher[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly versions = new Map<string, string | null>();
  /** One reload at a time per file; an edit during one runs again after it. */
  private readonly busy = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly pool: Pick<WorkerPoolLike, 'modules' | 'restartType'>,
    private readonly log: Logger,
    private readonly graceMs: number,
  ) {}

  start(): void {
    const modules = this.pool.modules();
    const byDir = new Map<string, Set<string>>();
    for (const file of modules.keys()) {
      this.versions.set(file, codeVersionOf(file));
      const dir = path.dirname(file);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(path.basename(file));
    }
    for (const [dir, names] of byDir) {
      try {
        const w = fs.watch(dir, (_event, name) => {
          if (name && names.has(name.toString())) this.changed(path.join(dir, name.toString()));
        });
        w.on('error', (err) => this.log.warn(`hot reload: stopped watching ${dir}: ${reason(err)}`));
        this.watchers.push(w);
      } catch (err) {
        this.log.warn(`hot reload: cannot watch ${dir}: ${reason(err)}`);
      }
    }
    this.log.info(`hot reload on: watching ${modules.size} worker module(s)`);
  }

  private changed(file: string): void {
    clearTimeout(this.timers.get(file));
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        const prev = this.busy.get(file) ?? Promise.resolve();
        const next = prev.then(() => this.reload(file));
        this.busy.set(file, next);
      }, DEBOUNCE_MS),
    );
  }

  private async reload(file: string): Promise<void> {
    if (this.closed) return;
    const before = this.versions.get(file) ?? null;
    const after = codeVersionOf(file);
    // Unchanged content (a touch, an editor's temp file), or gone for the moment (mid-replace): nothing to do.
    if (after === null || after === before) return;
    this.versions.set(file, after);
    for (const type of this.pool.modules().get(file) ?? []) {
      try {
        await this.pool.restartType(type, this.graceMs);
        this.log.info(`reloaded worker ${type}: code ${before} → ${after}`);
      } catch (err) {
        this.log.error(`hot reload of ${type} (${file}): ${reason(err)}; fix the file and save it again`);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
