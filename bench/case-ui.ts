/**
 * Case 5, the UI attached: the same drain as case 1 for our drone, as `swarmage drone` alone and as
 * `swarmage drone --ui 127.0.0.1:0` (DroneService + the headless host) with a WebSocket client
 * connected that parses every message, as the UI does; the figure is the throughput with the client
 * against without (target ≥ 90 %), and the snapshot events per second reaching the client while the
 * drone drains (target ≥ 4). A third run keeps the Queue view open: the client asks queue.overview
 * every second (the view: every 2 s) (issue 16's target: the drain within 10 % of the run without it), and
 * the overview's answer time under that load is recorded.
 */
import WebSocket from 'ws';
import { now, progress } from './env.js';
import { CaseRecorder, Databases, Series, drain, selected, type CaseOptions } from './harness.js';
import type { CaseResult } from './results.js';
import { roundRatios, summarize } from './stats.js';
import { fmt, fmtRatio, fmtSummary } from './table.js';
import type { Running } from './system.js';

export const UI_SYSTEMS = ['swarmage-tuned-4w', 'swarmage-tuned-4w-ui', 'swarmage-tuned-4w-queueview'];

// Twice as often as the Queue view polls: the figure errs on the side of the load.
const QUEUE_VIEW_POLL_MS = 1000;

interface Client {
  ws: WebSocket;
  connectedAt: number;
  snapshots: number[];
  messages: number;
  /** queue.overview calls: when each was answered, and its time from request to answer (ms). */
  overviews: Array<{ t: number; ms: number }>;
  poll: NodeJS.Timeout | null;
}

async function connect(r: Running, queueView: boolean): Promise<Client> {
  await r.ready.catch(() => {});
  const url = r.uiUrl?.();
  if (!url) throw new Error('the drone did not print its UI URL');
  // The printed URL is the login URL (?token=...); a tool sends the token as a Bearer header.
  const login = new URL(url);
  const ws = new WebSocket(`${login.protocol === 'https:' ? 'wss' : 'ws'}://${login.host}/api`, {
    headers: { Authorization: `Bearer ${login.searchParams.get('token')}` },
  });
  const client: Client = { ws, connectedAt: 0, snapshots: [], messages: 0, overviews: [], poll: null };
  const asked = new Map<number, number>();
  ws.on('message', (data) => {
    const t = now();
    client.messages++;
    const msg = JSON.parse(data.toString()) as { event?: string; id?: number; ok?: boolean; error?: { message: string } };
    if (msg.event === 'snapshot') client.snapshots.push(t);
    if (msg.id !== undefined && asked.has(msg.id)) {
      if (!msg.ok) progress(`queue.overview failed: ${msg.error?.message}`);
      client.overviews.push({ t, ms: t - asked.get(msg.id)! });
      asked.delete(msg.id);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      client.connectedAt = now();
      if (queueView) {
        let id = 0;
        const ask = () => {
          asked.set(++id, now());
          ws.send(JSON.stringify({ id, method: 'queue.overview', args: {} }));
        };
        ask();
        client.poll = setInterval(ask, QUEUE_VIEW_POLL_MS);
      }
      resolve();
    });
    ws.once('error', reject);
  });
  return client;
}

export async function uiCase(opts: CaseOptions): Promise<CaseResult> {
  const n = opts.sizes.ui[0];
  const systems = selected(opts, UI_SYSTEMS);
  const rec = new CaseRecorder(
    5,
    'ui',
    `The UI attached: drain ${fmt(n, 0)} with a WebSocket client receiving the live stream, against without`,
    {
      rounds: opts.rounds,
      n,
      capSeconds: opts.capSeconds,
      method:
        'as case 1; the +UI run starts the drone with --ui 127.0.0.1:0 and connects a ws client to /api once the drone is up, before the ' +
        'queue is filled; updates/s = snapshot events received between the commit of the fill and the empty queue, ÷ that time.',
    },
    systems,
  );
  const dbs = new Databases(opts.env, 'ui');
  const rate = new Series();
  const updates = new Series();
  // Every overview answered during the drains, per system (many per round, so not a Series).
  const overviewMs = new Map<string, number[]>();
  try {
    for (let r = 1; r <= opts.rounds; r++) {
      for (const spec of systems) {
        const where = `case 5 ui n=${n} · round ${r}/${opts.rounds} · ${spec.label}`;
        const queueView = spec.id.endsWith('-queueview');
        const ui = queueView || spec.id.endsWith('-ui');
        let client: Client | null = null;
        try {
          const q = await dbs.get(spec, n);
          progress(`${where}: starting…`);
          const out = await drain(q, spec, n, opts.env.scratch(spec.id), opts.capSeconds, {
            ui,
            onReady: ui
              ? async (running) => {
                  client = await connect(running, queueView);
                }
              : undefined,
          });
          rate.add(spec.id, r, out.rate);
          const sample: Record<string, unknown> = { round: r, system: spec.id, n, rate: out.rate, seconds: out.seconds, timedOut: out.timedOut };
          if (out.complaints.length) sample.droneWarnings = out.complaints;
          if (client) {
            const c = client as Client;
            const inWindow = c.snapshots.filter((t) => t >= out.t0 && t <= out.t1).length;
            const perSecond = inWindow / ((out.t1 - out.t0) / 1000);
            updates.add(spec.id, r, perSecond);
            Object.assign(sample, { snapshotsPerSecond: perSecond, snapshotsInWindow: inWindow, messages: c.messages });
            const during = c.overviews.filter((o) => o.t >= out.t0 && o.t <= out.t1).map((o) => o.ms);
            if (queueView) {
              Object.assign(sample, { overviewsInWindow: during.length, overviewMs: during });
              overviewMs.set(spec.id, [...(overviewMs.get(spec.id) ?? []), ...during]);
            }
            progress(`${where}: ${fmt(out.rate)} jobs/s; ${fmt(perSecond)} snapshots/s reached the client`);
          } else {
            progress(`${where}: ${fmt(out.rate)} jobs/s`);
          }
          rec.sample(sample);
        } catch (err) {
          rec.error(where, err);
        } finally {
          const c = client as Client | null;
          if (c?.poll) clearInterval(c.poll);
          c?.ws.terminate();
        }
      }
    }
  } finally {
    await dbs.closeAll();
  }

  const plain = systems.find((s) => !s.id.endsWith('-ui') && !s.id.endsWith('-queueview'));
  const rows: string[][] = [];
  for (const spec of systems) {
    const s = summarize(rate.values(spec.id));
    const u = summarize(updates.values(spec.id));
    const rr = plain && spec !== plain ? roundRatios(rate.get(spec.id), rate.get(plain.id)) : null;
    const o = summarize(overviewMs.get(spec.id) ?? []);
    rec.result.summary.push({ system: spec.id, rate: s, snapshotsPerSecond: u.n ? u : null, overviewMs: o.n ? o : null });
    if (rr) rec.result.ratios.push({ system: spec.id, versus: plain!.id, ...rr });
    rows.push([spec.label, fmtSummary(s), rr ? fmtRatio(rr) : '', u.n ? fmtSummary(u) : '', o.n ? fmtSummary(o) : '']);
  }
  rec.table({
    title: `Case 5 — drain ${fmt(n, 0)} with and without a UI client; median (min–max) of ${opts.rounds} rounds; ratio within each round`,
    columns: ['system', 'jobs/s', 'with UI ÷ without', 'snapshots/s at the client', 'queue.overview ms during the drain'],
    rows,
  });
  return rec.finish();
}
