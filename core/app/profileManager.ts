/**
 * Several drones in one app: the desktop app's (and the headless host's) list of profiles, each a
 * config file run in this process by its own DroneService (its own local queue, workers and logs) or
 * a drone elsewhere operated through its UI host (RemoteDrone). This is the service the hosts serve:
 * profiles.* methods are answered here; every other method goes to the drone the call names
 * (`profile`), and every drone event goes out stamped with the profile it comes from.
 *
 * In-process rather than one utility process per drone: a drone's hot path is already off this
 * thread (the local queue has a worker thread, workers are child processes), and a snapshot or a
 * log batch then reaches the UI without another hop. docs/performance.md has the measurement.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { EventMessage, FailureNotice, NavigateTo, ProfileHandlers, ProfileInfo, ProfilesView, Snapshot } from '../api/contract.js';
import { isProfileMethod } from '../api/contract.js';
import { checkArgs, createDispatcher, isMethod, unknownMethod, type Dispatch, type Outcome } from '../api/dispatcher.js';
import type { ApiService } from '../api/service.js';
import { DEFAULT_CONFIG_FILE } from '../config/load.js';
import { writeStarter } from '../config/starter.js';
import type { Logger } from '../log/logger.js';
import { reason } from '../util/redact.js';
import { isAttached, profileId, withRecent, type ProfilesFile, type ProfileStore, type StoredProfile } from './profileStore.js';
import { RemoteDrone } from './remoteDrone.js';

/** What the manager needs of a drone, local (DroneService) or attached (RemoteDrone). */
export interface DroneBackend {
  readonly dispatch: Dispatch;
  snapshot(): Snapshot;
  start(): Promise<void>;
  stop(): Promise<void>;
  on(event: 'event', listener: (msg: EventMessage) => void): unknown;
  off(event: 'event', listener: (msg: EventMessage) => void): unknown;
}

export interface ProfileManagerOptions {
  log: Logger;
  /** Where the list is kept; null: a fixed list (swarmage drone --ui), not editable from the UI. */
  store: ProfileStore | null;
  /** A local profile's drone service (the desktop app turns hot reload on, the CLI does not…). */
  createLocal(configFile: string): DroneBackend;
  createRemote?(url: string, token: string): DroneBackend;
  /** The host's native file picker (Electron's dialog); none in a browser. */
  pickFile?: () => Promise<string | null>;
  /** Where "try the demo" writes its config and workers. */
  demoDir?: string;
}

interface Entry {
  profile: StoredProfile;
  backend: DroneBackend;
  /** Started and not stopped since (a profile not started shows "stopped", whatever its service says). */
  started: boolean;
  listener: (msg: EventMessage) => void;
}

/** A drone whose last failure is more recent than this is "failing" (the tray icon, the switcher). */
export const FAILING_MS = 60_000;
const PROFILES_EVENT_MS = 250;

export class ProfileManager extends EventEmitter<{ event: [EventMessage] }> implements ApiService {
  readonly dispatch: Dispatch;
  private readonly entries = new Map<string, Entry>();
  private recent: string[] = [];
  private readonly profileDispatch: Dispatch;
  private profilesTimer: NodeJS.Timeout | null = null;
  private lastProfiles = '';

  constructor(private readonly opts: ProfileManagerOptions) {
    super();
    this.profileDispatch = createDispatcher(this.handlers(), (method, err) => this.log.warn(`${method} failed: ${reason(err)}`));
    this.dispatch = (method, args, profile) => this.route(method, args, profile);
  }

  get log(): Logger {
    return this.opts.log;
  }

  /** Reads the saved list (without starting anything); `onProblem` hears of a file that could not be read. */
  load(): ProfilesFile {
    const saved = this.opts.store?.load((msg) => this.log.warn(msg)) ?? { version: 1 as const, profiles: [], recent: [] };
    this.recent = saved.recent;
    for (const p of saved.profiles) this.insert(p);
    this.profilesChanged();
    return saved;
  }

  /** Starts the profiles that were running when the app last stopped; resolves when each has started or failed. */
  async startSaved(): Promise<void> {
    await Promise.all([...this.entries.values()].filter((e) => e.profile.run).map((e) => this.startEntry(e)));
  }

  /** Adds config files named on the command line (once each) and starts them. */
  async open(files: readonly string[]): Promise<ProfileInfo[]> {
    return Promise.all(files.map((f) => this.addLocal(path.resolve(f), true)));
  }

  /** Graceful, in parallel: running tasks finish, the rest go back to the queue. Whether each was running is kept for the next start. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].filter((e) => e.started).map((e) => this.stopEntry(e, false)));
    if (this.profilesTimer) clearTimeout(this.profilesTimer);
    this.profilesTimer = null;
  }

  /** A desktop notification was clicked, or a menu command chose a view. */
  navigate(to: NavigateTo): void {
    this.emit('event', { event: 'navigate', data: to });
  }

  view(): ProfilesView {
    return {
      profiles: [...this.entries.values()].map((e) => this.info(e)),
      recent: this.recent,
      editable: this.opts.store !== null,
      canPick: this.opts.pickFile !== undefined,
    };
  }

  greeting(): EventMessage[] {
    return [
      { event: 'profiles', data: this.view() },
      ...[...this.entries.values()].map((e) => ({ event: 'snapshot' as const, data: this.snapshotOf(e), profile: e.profile.id })),
    ];
  }

  /** A host for one drone that its owner starts and stops (swarmage drone --ui): the same UI, no profile list to edit. */
  static fixed(configFile: string, backend: DroneBackend, log: Logger): ProfileManager {
    const m = new ProfileManager({ log, store: null, createLocal: () => backend });
    m.adopt(configFile, backend);
    return m;
  }

  /** Adds a fixed profile running `backend`: started by its owner. */
  adopt(configFile: string, backend: DroneBackend): string {
    const file = path.resolve(configFile);
    const entry = this.insert({ id: profileId('local', file), name: unique(folderName(file), this.names()), configFile: file, run: true }, backend);
    entry.started = true;
    this.profilesChanged();
    return entry.profile.id;
  }

  private route(method: unknown, args: unknown, profile: unknown): Promise<Outcome> {
    if (!isMethod(method)) return Promise.resolve(unknownMethod(method));
    if (isProfileMethod(method)) return this.profileDispatch(method, args);
    const entry = profile === undefined || profile === null ? this.entries.values().next().value : this.entries.get(String(profile));
    if (!entry) {
      const message =
        profile === undefined || profile === null
          ? 'no drone yet: open a config, attach to a drone or try the demo'
          : `no profile ${JSON.stringify(String(profile).slice(0, 60))} (it was removed?)`;
      return Promise.resolve({ ok: false, error: { code: 'failed', message } });
    }
    if (method === 'drone.snapshot') {
      const checked = checkArgs(method, args);
      return Promise.resolve(checked.ok ? { ok: true, result: this.snapshotOf(entry) } : checked);
    }
    return entry.backend.dispatch(method, args);
  }

  private handlers(): ProfileHandlers {
    const get = (id: string) => {
      const e = this.entries.get(id);
      if (!e) throw new Error(`no profile ${JSON.stringify(id)} (it was removed?)`);
      return e;
    };
    return {
      'profiles.list': async () => this.view(),
      'profiles.add': async (args) => {
        this.editable();
        if ('configFile' in args) return this.addLocal(path.resolve(args.configFile), args.start);
        return this.addAttached(args.attach.url, args.attach.token, args.attach.name);
      },
      'profiles.pick': async () => {
        this.editable();
        if (!this.opts.pickFile) throw new Error('this host has no file picker (a browser cannot show the drone machine’s files): type the config file’s path');
        const file = await this.opts.pickFile();
        return file ? this.addLocal(path.resolve(file), true) : null;
      },
      'profiles.demo': async () => {
        this.editable();
        const dir = this.opts.demoDir;
        if (!dir) throw new Error('this host has no demo folder');
        const file = path.join(dir, DEFAULT_CONFIG_FILE);
        if (!fs.existsSync(file)) {
          const created = writeStarter(dir);
          this.log.info(`wrote the demo drone to ${dir} (${created.join(', ')})`);
        }
        return this.addLocal(file, true, 'demo');
      },
      'profiles.remove': async ({ id }) => {
        this.editable();
        const e = get(id);
        await this.stopEntry(e, true);
        e.backend.off('event', e.listener);
        this.entries.delete(id);
        this.log.info(`removed the profile ${e.profile.name}; its files stay where they are`);
        this.save();
        this.profilesChanged();
      },
      'profiles.start': async ({ id }) => void this.startEntry(get(id), true),
      'profiles.stop': async ({ id }) => this.stopEntry(get(id), true),
      'profiles.restart': async ({ id }) => {
        const e = get(id);
        await this.stopEntry(e, false);
        void this.startEntry(e, true);
      },
    };
  }

  private editable(): void {
    if (!this.opts.store) throw new Error('this drone runs on its own (swarmage drone --ui): profiles are managed in the desktop app or "npm start"');
  }

  private names(): Set<string> {
    return new Set([...this.entries.values()].map((e) => e.profile.name));
  }

  /** `name`: else the config's folder's. */
  private async addLocal(file: string, start: boolean, name?: string): Promise<ProfileInfo> {
    const id = profileId('local', file);
    let entry = this.entries.get(id);
    if (!entry) {
      if (!fs.existsSync(file)) throw new Error(`${file}: no such file (give the path of a swarmage.config.json, or run "swarmage init DIR" to make one)`);
      entry = this.insert({ id, name: unique(name ?? folderName(file), this.names()), configFile: file, run: false });
      this.log.info(`added the profile ${entry.profile.name} (${file})`);
    }
    this.recent = withRecent(this.recent, file);
    this.save();
    this.profilesChanged();
    if (start && !entry.started) void this.startEntry(entry, true);
    return this.info(entry);
  }

  private async addAttached(url: string, token: string, name?: string): Promise<ProfileInfo> {
    const where = new URL(url).origin;
    const id = profileId('attached', where);
    let entry = this.entries.get(id);
    if (entry) throw new Error(`already attached to ${where} (profile ${entry.profile.name})`);
    entry = this.insert({ id, name: unique(name ?? new URL(where).host, this.names()), attach: { url: where, token }, run: false });
    this.log.info(`added the profile ${entry.profile.name}: the drone at ${where}`);
    void this.startEntry(entry, true);
    return this.info(entry);
  }

  private insert(profile: StoredProfile, backend?: DroneBackend): Entry {
    const made =
      backend ??
      (isAttached(profile)
        ? (this.opts.createRemote ?? ((url, token) => new RemoteDrone(url, token, this.log.child({ worker: 'attach' }))))(
            profile.attach.url,
            profile.attach.token,
          )
        : this.opts.createLocal(profile.configFile));
    const entry: Entry = { profile, backend: made, started: false, listener: () => {} };
    entry.listener = (msg) => this.forward(entry, msg);
    made.on('event', entry.listener);
    this.entries.set(profile.id, entry);
    return entry;
  }

  /**
   * Resolves when the drone has started or failed to; callers answering the UI do not wait for it (a
   * drone waiting for its database may take minutes): its state reaches the UI as events.
   */
  private async startEntry(e: Entry, remember = false): Promise<void> {
    if (remember) this.setRun(e, true);
    if (e.started) return;
    e.started = true;
    this.profilesChanged();
    try {
      await e.backend.start();
    } catch (err) {
      // The service stays up in state "error" with the reason, which the UI shows; a bad config is fixed there.
      this.log.error(`the drone ${e.profile.name} did not start: ${reason(err)}`);
    } finally {
      this.profilesChanged();
    }
  }

  private async stopEntry(e: Entry, remember: boolean): Promise<void> {
    if (remember) this.setRun(e, false);
    if (!e.started) return;
    e.started = false;
    this.profilesChanged();
    try {
      await e.backend.stop();
    } finally {
      this.profilesChanged();
      this.emit('event', { event: 'snapshot', data: this.snapshotOf(e), profile: e.profile.id });
    }
  }

  private setRun(e: Entry, run: boolean): void {
    if (e.profile.run === run) return;
    e.profile = { ...e.profile, run };
    this.save();
  }

  private save(): void {
    try {
      this.opts.store?.save({ version: 1, profiles: [...this.entries.values()].map((e) => e.profile), recent: this.recent });
    } catch (err) {
      this.log.error(`could not save the profile list to ${this.opts.store?.file}: ${reason(err)}`);
    }
  }

  private snapshotOf(e: Entry): Snapshot {
    const s = e.backend.snapshot();
    if (e.started) return s;
    return { app: { ...s.app, state: 'stopped', error: null, retryAt: null }, drone: null };
  }

  private info(e: Entry): ProfileInfo {
    const s = this.snapshotOf(e);
    const types = s.drone?.types ?? [];
    const droneState = s.drone?.state;
    return {
      id: e.profile.id,
      name: e.profile.name,
      kind: isAttached(e.profile) ? 'attached' : 'local',
      configFile: isAttached(e.profile) ? s.app.configFile : e.profile.configFile,
      url: isAttached(e.profile) ? e.profile.attach.url : null,
      state: s.app.state,
      error: s.app.error,
      paused: droneState === 'paused' || droneState === 'draining',
      failing: s.app.lastFailureAt !== null && Date.now() - s.app.lastFailureAt < FAILING_MS && e.started,
      types: types.map((t) => t.type),
      buffered: types.reduce((n, t) => n + t.buffered, 0),
      running: types.reduce((n, t) => n + t.running, 0),
    };
  }

  private forward(e: Entry, msg: EventMessage): void {
    if (msg.event === 'failure') {
      const data: FailureNotice = { ...(msg.data as FailureNotice), profile: e.profile.id, profileName: e.profile.name };
      this.emit('event', { event: 'failure', data, profile: e.profile.id });
      this.profilesChanged();
      return;
    }
    if (msg.event === 'snapshot') {
      if (!e.started) return;
      this.profilesChanged();
    }
    this.emit('event', { ...msg, profile: e.profile.id });
  }

  /** Pushes the list when what it shows changed; snapshots come often, so at most a few times a second. */
  private profilesChanged(): void {
    if (this.profilesTimer) return;
    this.profilesTimer = setTimeout(() => {
      this.profilesTimer = null;
      const view = this.view();
      const text = JSON.stringify(view);
      if (text === this.lastProfiles) return;
      this.lastProfiles = text;
      this.emit('event', { event: 'profiles', data: view });
    }, PROFILES_EVENT_MS);
    this.profilesTimer.unref();
  }
}

/** The folder a config is in: "billing", "mailer". */
function folderName(file: string): string {
  return path.basename(path.dirname(file)) || file;
}

/** Made unique with " (2)", " (3)"… */
function unique(name: string, taken: Set<string>): string {
  const base = name.slice(0, 90) || 'drone';
  let out = base;
  for (let n = 2; taken.has(out); n++) out = `${base} (${n})`;
  return out;
}
