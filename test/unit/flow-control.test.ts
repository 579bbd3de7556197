import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAIR_HORIZON_MS, MAX_PREFETCH, MAX_TARGET, TypeFlow } from '../../core/drone/flowControl.js';
import { planClaims } from '../../core/drone/claimPlan.js';

/**
 * Drones sharing one queue, simulated in steps of `stepMs`: each has `instances` workers that take
 * `taskMs` per task, claims that come back after `rttMs`, and the claim plan and flow controller
 * the real drone uses. What it records is the trace the assertions read.
 */
function simulate(o: { drones?: number; instances: number; taskMs: number; rttMs: number; tasks: number; fixed?: number; stepMs?: number; untilMs?: number }) {
  const step = o.stepMs ?? 0.01;
  let queue = o.tasks;
  const drones = Array.from({ length: o.drones ?? 1 }, () => ({
    flow: new TypeFlow(o.instances, o.instances, o.fixed ?? null),
    ends: [] as number[],
    waiting: 0,
    finished: 0,
    busyMs: 0,
    claim: null as { sentAt: number; answerAt: number; asked: number } | null,
    exhausted: false,
    claims: [] as number[],
    maxBuffered: 0,
    targets: [] as number[],
  }));
  // Whole steps, so that a task takes exactly taskMs.
  const taskSteps = Math.max(1, Math.round(o.taskMs / step));
  let t = 0;
  for (let k = 0; k * step < (o.untilMs ?? 600_000); k++) {
    t = k * step;
    let active = queue > 0;
    for (const d of drones) {
      d.ends = d.ends.filter((end) => {
        if (end > k) return true;
        d.finished++;
        return false;
      });
      while (d.ends.length < o.instances && d.waiting > 0) {
        d.waiting--;
        d.ends.push(k + taskSteps);
      }
      d.busyMs += d.ends.length * step;
      d.maxBuffered = Math.max(d.maxBuffered, d.waiting + d.ends.length);
      if (d.claim && d.claim.answerAt <= t) {
        const got = Math.min(d.claim.asked, queue);
        queue -= got;
        d.flow.observe(t, { finished: d.finished, busyMs: d.busyMs });
        d.flow.answered({ asked: d.claim.asked, got, rttMs: t - d.claim.sentAt, idleSlots: d.waiting === 0 ? o.instances - d.ends.length : 0 });
        d.exhausted = got < d.claim.asked;
        d.waiting += got;
        d.claim = null;
      }
      if (!d.claim && !d.exhausted) {
        d.flow.observe(t, { finished: d.finished, busyMs: d.busyMs });
        const buffered = d.waiting + d.ends.length;
        const [want] = planClaims([{ type: 'x', buffered, capacity: d.flow.target(), prefetch: o.instances * d.flow.prefetch(), exhausted: false }]);
        if (want) {
          d.flow.claimSent(want.limit);
          d.claim = { sentAt: t, answerAt: t + o.rttMs, asked: want.limit };
          d.claims.push(want.limit);
          d.targets.push(d.flow.target());
        }
      }
      if (d.claim || d.waiting > 0 || d.ends.length > 0) active = true;
    }
    if (!active) break;
  }
  return { drones, elapsedMs: t };
}

describe('flow control: buffer targets from what the drone measures', () => {
  it('a cold drone first takes what its workers can start; a burst of tiny tasks grows the buffer until they stop waiting', () => {
    const { drones, elapsedMs } = simulate({ instances: 4, taskMs: 0.05, rttMs: 2, tasks: 20_000 });
    const d = drones[0];
    assert.ok(d.claims[0] <= 4 * 2, `first claim ${d.claims[0]}`);
    assert.ok(d.targets[6] >= 1000, `targets ${d.targets.slice(0, 8).join(' ')}`);
    // The workers alone would take 250 ms: the ramp and the claims cost little more.
    assert.equal(d.finished, 20_000);
    assert.ok(elapsedMs < 265, `${elapsedMs} ms; claims ${d.claims.slice(0, 12).join(' ')}`);
  });

  it('a buffer grows no further than its ceiling: FAIR_HORIZON_MS of work for the workers, however slow the claims', () => {
    const { drones } = simulate({ instances: 1, taskMs: 2, rttMs: 1500, tasks: 5000, stepMs: 0.5 });
    const ceiling = 1 + FAIR_HORIZON_MS / 2;
    assert.ok(drones[0].maxBuffered <= ceiling, `max buffered ${drones[0].maxBuffered}`);
    assert.ok(
      drones[0].targets.some((x) => x >= ceiling - 1),
      drones[0].targets.slice(0, 10).join(' '),
    );
    const fast = simulate({ instances: 1, taskMs: 0.01, rttMs: 400, tasks: 50_000, stepMs: 0.01 }).drones[0];
    assert.ok(fast.targets.includes(MAX_TARGET) && fast.maxBuffered <= MAX_TARGET, fast.targets.slice(0, 10).join(' '));
  });

  it('long tasks: a drone holds one per worker slot, so two drones split four 25 s tasks two and two', () => {
    const { drones, elapsedMs } = simulate({ drones: 2, instances: 1, taskMs: 25_000, rttMs: 2, tasks: 4, stepMs: 1 });
    assert.deepEqual(
      drones.map((d) => d.finished),
      [2, 2],
    );
    for (const d of drones) assert.equal(d.maxBuffered, 1);
    assert.ok(elapsedMs < 51_000, `${elapsedMs} ms`);
  });

  it('100 ms tasks are never buffered beyond what the workers start within FAIR_HORIZON_MS (a quarter of a second)', () => {
    const { drones } = simulate({ instances: 4, taskMs: 100, rttMs: 2, tasks: 2000, stepMs: 0.5 });
    const perSecond = (4 * FAIR_HORIZON_MS) / 100;
    assert.ok(drones[0].maxBuffered <= 4 + perSecond, `max buffered ${drones[0].maxBuffered}`);
    assert.ok(drones[0].maxBuffered > 4, 'the buffer grew past the running slots');
    assert.equal(drones[0].finished, 2000);
  });

  it('three equal drones sharing 30,000 tasks of 1 ms each do 25–42 % of them each', () => {
    const { drones } = simulate({ drones: 3, instances: 2, taskMs: 1, rttMs: 3, tasks: 30_000, stepMs: 0.1 });
    const total = drones.reduce((n, d) => n + d.finished, 0);
    assert.equal(total, 30_000);
    for (const d of drones) assert.ok(d.finished >= 0.25 * total && d.finished <= 0.42 * total, drones.map((x) => x.finished).join(' '));
  });

  it('maxPerWorker fixes the buffer: the seed behaviour, whatever is measured', () => {
    const { drones } = simulate({ instances: 2, taskMs: 0.05, rttMs: 2, tasks: 5000, fixed: 30 });
    assert.ok(drones[0].targets.every((x) => x === 30));
    assert.ok(drones[0].maxBuffered <= 30);
    assert.equal(drones[0].flow.view(null).flow, 'fixed');
  });

  it('tasks that turn slow bring the target down at once', () => {
    const f = new TypeFlow(2, 2, null);
    // Fast: 1,000 tasks in 100 ms of busy time, then grown by starved claims.
    f.observe(0, { finished: 0, busyMs: 0 });
    for (let i = 1; i <= 7; i++) {
      f.observe(i, { finished: 1000 * i, busyMs: 100 * i });
      f.answered({ asked: 1, got: 1, rttMs: 1, idleSlots: 2 });
    }
    assert.equal(f.target(), MAX_TARGET);
    // Then one task holds each worker for 20 s: the ceiling follows the time held.
    f.observe(20_007, { finished: 7000, busyMs: 40_700 });
    assert.ok(f.target() <= 3, `target ${f.target()}`);
  });

  it('workers idle while steps wait in the drone, or a claim that came back short, do not grow the buffer', () => {
    const f = new TypeFlow(4, 4, null);
    f.observe(0, { finished: 0, busyMs: 0 });
    f.observe(10, { finished: 100, busyMs: 5 });
    f.answered({ asked: 4, got: 4, rttMs: 1, idleSlots: 0 });
    f.observe(20, { finished: 200, busyMs: 10 });
    f.answered({ asked: 4, got: 3, rttMs: 1, idleSlots: 4 });
    assert.equal(f.target(), 4);
    // A first claim grows nothing either: its workers had not finished anything yet.
    const g = new TypeFlow(4, 4, null);
    g.observe(0, { finished: 0, busyMs: 0 });
    g.answered({ asked: 4, got: 4, rttMs: 1, idleSlots: 4 });
    assert.equal(g.target(), 4);
  });

  it('prefetch: what an instance runs in about 20 ms, at most its share of the buffer and MAX_PREFETCH', () => {
    const fast = new TypeFlow(2, 2, null);
    fast.observe(0, { finished: 0, busyMs: 0 });
    fast.observe(1000, { finished: 100_000, busyMs: 2000 });
    assert.equal(fast.prefetch(), 1, 'its share of a cold buffer of 2');
    for (let i = 1; i <= 8; i++) {
      fast.observe(1000 + i, { finished: 100_000 + i, busyMs: 2000 });
      fast.answered({ asked: 1, got: 1, rttMs: 1, idleSlots: 2 });
    }
    assert.equal(fast.prefetch(), MAX_PREFETCH);
    const slow = new TypeFlow(2, 2, null);
    slow.observe(0, { finished: 0, busyMs: 0 });
    slow.observe(1000, { finished: 20, busyMs: 2000 });
    assert.equal(slow.prefetch(), 1);
  });
  it('chains that end in a slower local: stage: the ceiling follows their pace, and idle first-stage workers do not grow the buffer', () => {
    const f = new TypeFlow(1, 1, null);
    f.observe(0, { finished: 0, busyMs: 0 });
    f.observeChains(0, { finished: 0, busyMs: 0 });
    // The first stage does 1,000 tasks in 10 ms of busy time; their chains end 50 a second.
    f.observe(1000, { finished: 1000, busyMs: 10 });
    f.observeChains(1000, { finished: 50, busyMs: 1000 });
    assert.equal(f.chainRate(), 50);
    assert.equal(f.ceiling(), 1 + Math.floor((50 * FAIR_HORIZON_MS) / 1000));
    // Its worker is idle, but three of four places are chains further down: no growth.
    f.observe(1001, { finished: 1001, busyMs: 10 });
    f.answered({ asked: 1, got: 1, rttMs: 1, idleSlots: 1, downstream: 3 });
    assert.equal(f.target(), 1);
    f.observe(1002, { finished: 1002, busyMs: 10 });
    f.answered({ asked: 1, got: 1, rttMs: 1, idleSlots: 1, downstream: 0 });
    assert.ok(f.target() > 1, 'with nothing held downstream it grows');
  });
});
