import type { ResolvedConfig } from '../../config/load.js';
import { ConfigError } from '../../config/errors.js';
import type { OpenedQueue, QueueHooks } from '../queueModule.js';
import { RemoteQueue } from './remoteQueue.js';

/** queue.module "remote": a gateway's address from the config, the token from SWARMAGE_GATEWAY_TOKEN or the config. */
export async function openRemoteQueue(config: ResolvedConfig, _hooks: QueueHooks): Promise<OpenedQueue> {
  if (config.queue.module !== 'remote') throw new Error('openRemoteQueue: the config\'s queue.module is not "remote"');
  const { url } = config.queue.config;
  const token = process.env.SWARMAGE_GATEWAY_TOKEN || config.queue.config.token;
  if (!token) {
    throw new ConfigError(
      `${config.file ?? 'the config'}: queue.module is "remote" but no gateway token is given: set SWARMAGE_GATEWAY_TOKEN ` +
        '(or queue.config.token) to the token "swarmage gateway token add" printed on the gateway\'s machine',
    );
  }
  // A stalled link is cut after two unanswered pings, within a third of the lease: the drone
  // reconnects and heartbeats again before any of its leases can run out.
  const pingMs = Math.max(500, Math.floor(config.leaseMs / 6));
  return { queue: new RemoteQueue({ url, token, pingMs }), label: `gateway ${url}`, source: 'gateway', notice: null };
}
