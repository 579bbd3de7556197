import { parse } from '../usage.js';
import { listServerInfo, serverInfoDir } from '../../host/serverInfo.js';

export const help = `Usage: swarmage ui [--json]

Lists the operator UIs of this user's running drones ("swarmage drone --ui", "npm start" without
Electron) with their login URLs, as "jupyter server list" does. Open a login URL once in a browser:
it trades the token for a cookie and takes it out of the address bar.

The drones keep one file each, readable by this user only, in ${serverInfoDir()}
($XDG_RUNTIME_DIR/swarmage where that is set, else run/ in Swarmage's home folder). Files of
drones that are no longer running are removed.

  --json   print them as JSON: [{pid, url, loginUrl, token, configFile, started}]`;

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } }, false);
  const found = listServerInfo();
  if (values.json) {
    process.stdout.write(JSON.stringify(found, null, 2) + '\n');
    return 0;
  }
  if (found.length === 0) {
    process.stdout.write(`No running drone UI of this user (looked in ${serverInfoDir()}). Start one with "swarmage drone --ui 7420".\n`);
    return 0;
  }
  for (const ui of found) {
    process.stdout.write(`${ui.loginUrl}  pid ${ui.pid}, since ${ui.started}${ui.configFile ? `, ${ui.configFile}` : ''}\n`);
  }
  return 0;
}
