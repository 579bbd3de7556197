import type { ProfileInfo } from '../../core/api/contract.js';

/** A profile as the manager lists it: a local drone, running, idle; `over` changes what a test is about. */
export function profileInfo(over: Partial<ProfileInfo> = {}): ProfileInfo {
  return {
    id: 'p',
    name: 'p',
    kind: 'local',
    configFile: '/p/swarmage.config.json',
    url: null,
    state: 'running',
    error: null,
    paused: false,
    failing: false,
    types: [],
    buffered: 0,
    running: 0,
    ...over,
  };
}
