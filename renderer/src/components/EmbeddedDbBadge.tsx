import type { DroneSnapshot } from '../../../core/api/contract.js';

const MEANING =
  "This drone runs on the embedded Postgres that swarmage started on the drone's machine, because no database was given " +
  '(no queue.config.connectionString in its config, no SWARMAGE_DATABASE_URL). Fine for trying things on a workstation, ' +
  'but drones on other machines cannot share it, so they never see its tasks. To use a shared database, set ' +
  'queue.config.connectionString (or SWARMAGE_DATABASE_URL) to its postgres:// URL; "embedded": false in queue.config ' +
  '(or SWARMAGE_REQUIRE_DATABASE_URL=1) makes a missing URL an error instead.';

/**
 * Marks a drone on its machine's private embedded Postgres where it cannot be missed: on a
 * workstation that is the point, on a server it is a misconfiguration nobody would otherwise notice.
 */
export function EmbeddedDbBadge({ drone, testId }: { drone: DroneSnapshot | null; testId: string }) {
  if (drone?.database.source !== 'embedded') return null;
  return (
    <span className="pill embedded-badge" title={MEANING} aria-label={`embedded database: ${MEANING}`} tabIndex={0} data-testid={testId}>
      embedded database
    </span>
  );
}
