import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FleetDrone, QueueTypeRow } from '../../core/api/contract.js';
import { claimsReturnText, fleetSummary, inTime, lowerBounds, shortDroneId, sortTypes } from '../../renderer/src/lib/queue.js';

const row = (type: string, over: Partial<QueueTypeRow> = {}): QueueTypeRow => ({
  type,
  available: 0,
  scheduled: 0,
  claimed: 0,
  failed: 0,
  capped: false,
  oldestWaitingMs: null,
  processedPerSec: 0,
  enqueuedPerSec: null,
  servedBy: [],
  unserved: false,
  ...over,
});

const drone = (over: Partial<FleetDrone> = {}): FleetDrone => ({
  id: 'd',
  host: 'h',
  pid: 1,
  types: [],
  version: '0.1.0',
  wakeups: 'notify',
  startedAt: 0,
  heartbeatAt: 0,
  state: 'alive',
  leaseMs: 30_000,
  held: 0,
  claimsReturnAt: null,
  self: false,
  ...over,
});

describe('the Queue and Fleet views’ rules', () => {
  it('unserved types come first, then by name', () => {
    const sorted = sortTypes([row('b'), row('z', { unserved: true }), row('a')]);
    assert.deepEqual(
      sorted.map((r) => r.type),
      ['z', 'a', 'b'],
    );
  });

  it('a count is a lower bound when its part of the overview reached the cap', () => {
    const cap = 10_000;
    const waiting = row('w', { available: 6000, scheduled: 4000, capped: true });
    const failed = row('f', { failed: 10_000, capped: true, claimed: 3 });
    const types = [waiting, failed, row('c', { claimed: 9_997 })];
    assert.deepEqual(lowerBounds(waiting, { cap, types }), { available: true, scheduled: true, claimed: true, failed: false });
    assert.deepEqual(lowerBounds(failed, { cap, types }), { available: false, scheduled: false, claimed: true, failed: true });
    assert.deepEqual(lowerBounds(row('x', { available: 12 }), { cap, types: [row('x', { available: 12 })] }), {
      available: false,
      scheduled: false,
      claimed: false,
      failed: false,
    });
  });

  it('drone ids are shortened to the host and the random part', () => {
    assert.equal(shortDroneId('web-03-4121-1a2b3c4d'), 'web-03-1a2b3c4d');
    assert.equal(shortDroneId('build-server.example.internal-4121-1a2b3c4d'), 'build-serve…-1a2b3c4d');
    assert.equal(shortDroneId('render-01'), 'render-01');
    assert.equal(shortDroneId('a-very-long-alias-given-by-hand'), 'a-very-long-alias-g…');
  });

  it('says when a quiet drone’s claims come back, and nothing for a live one or one holding nothing', () => {
    const at = new Date(2026, 0, 1, 12, 0, 7).getTime();
    assert.equal(claimsReturnText(drone({ state: 'alive', held: 3, claimsReturnAt: at }), at - 4000), null);
    assert.equal(claimsReturnText(drone({ state: 'dead', held: 0, claimsReturnAt: null }), at), null);
    assert.equal(claimsReturnText(drone({ state: 'stale', held: 3, claimsReturnAt: at }), at - 3500), 'its 3 claims return at 12:00:07 (in 4 s)');
    assert.match(
      claimsReturnText(drone({ state: 'dead', held: 1, claimsReturnAt: at }), at + 500)!,
      /^its 1 claim returns to the queue with a live drone's next rescue pass \(leases ended at 12:00:07\)$/,
    );
    assert.equal(inTime(90_000), 'in 1 m 30 s');
  });

  it('sums the fleet up by state', () => {
    assert.equal(fleetSummary([]), 'no drone has registered');
    assert.equal(fleetSummary([drone(), drone({ state: 'dead' }), drone()]), '3 drones: 2 alive, 1 dead');
  });
});
