/**
 * The app's drone (DroneService, as the desktop app and `swarmage drone --ui` run it) with a config
 * of queue.module "remote": everything the UI does goes through the gateway, within its token.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabaseUrl } from '../helpers/db.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { call, startService } from '../helpers/service.js';
import type { DroneService } from '../../core/service/droneService.js';

describe('a drone of the app through a gateway', () => {
  let g: TestGateway;
  const services: DroneService[] = [];
  before(async () => {
    g = await startGateway(await testDatabaseUrl());
  });
  after(async () => {
    for (const s of services) await s.stop();
    await g?.close();
  });

  const start = async (grants: Parameters<TestGateway['token']>[0]) => {
    const token = g.token(grants);
    // The schema argument names no database: the queue is the gateway's.
    const { service } = await startService('postgres://nobody@127.0.0.1:1/none', 'unused', {
      queue: { module: 'remote', config: { url: g.gateway.url, token } },
    });
    services.push(service);
    return service;
  };

  it('runs the demo, and shows the queue and itself in the fleet, when its token may inspect', async () => {
    const service = await start({ name: 'desk', claim: ['factorial', 'hexadecimal'], enqueue: ['factorial'], inspect: true });
    const snap = service.snapshot().drone!;
    assert.equal(snap.database.source, 'gateway');
    assert.match(snap.database.url, /^gateway ws:\/\/127\.0\.0\.1:\d+$/);
    const answer = await call(service, 'tasks.request', { type: 'factorial', data: 5, timeoutMs: 60_000 });
    assert.equal(answer.result, '78');
    const overview = await call(service, 'queue.overview', {});
    const self = overview.drones.find((d) => d.self);
    assert.equal(self?.id, `desk/${snap.id}`, 'this drone, under its token name, is marked as itself');
    assert.deepEqual([...self.types].sort(), ['factorial', 'hexadecimal']);
  });

  it('says what its token lacks when the UI asks for more', async () => {
    const service = await start({ name: 'narrow', claim: ['factorial', 'hexadecimal'], enqueue: [], inspect: false });
    const overview = await service.dispatch('queue.overview', {});
    assert.equal(overview.ok, false);
    assert.match(!overview.ok ? overview.error.message : '', /token "narrow" may not see or operate the whole queue \(overview\); add it again with --inspect/);
    const enqueue = await service.dispatch('tasks.enqueue', { type: 'factorial', data: 3 });
    assert.equal(enqueue.ok, false);
    assert.match(!enqueue.ok ? enqueue.error.message : '', /token "narrow" may not enqueue "factorial"; it may enqueue no types/);
  });
});
