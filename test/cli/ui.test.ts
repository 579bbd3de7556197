/**
 * The UI's token from the command line's side: `swarmage drone --ui` takes it from a file or the
 * environment (never an argument, which `ps` shows to every user), prints the login URL, and
 * `swarmage ui` lists it from the drone's server file. Real drone processes, real Postgres.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { runCli, spawnDrone } from '../helpers/drone.js';
import { demoDroneDir } from '../helpers/demo.js';
import { freshSchema, testDatabaseUrl } from '../helpers/db.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tmpDir, waitFor } from '../helpers/tmp.js';

const TOKEN = 'a-token-from-a-file-0123456789';

function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on('error', reject);
  });
}

/** A demo config on a fresh schema (its contents as an object, as spawnDrone writes it). */
async function demoConfig(): Promise<{ dir: string; config: Record<string, unknown> }> {
  const { dir, file } = demoDroneDir(await testDatabaseUrl(), freshSchema(), 'swarmage.config.json');
  return { dir, config: JSON.parse(fs.readFileSync(file, 'utf8')) };
}

describe('swarmage drone --ui and swarmage ui', () => {
  it('refuses a token on the command line, naming the ways that do not show in ps', async () => {
    const r = await runCli(['drone', '--ui', '7420', '--token', 'x'.repeat(32)]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'swarmage drone: --token is not accepted: a command line shows in "ps" to every user of the machine; put the token in a file and give --token-file FILE, or set SWARMAGE_UI_TOKEN (see swarmage drone --help)\n',
    );
  });

  it('refuses bad UI options with one line each', async () => {
    const { dir, config } = await demoConfig();
    fs.writeFileSync(path.join(dir, 'swarmage.config.json'), JSON.stringify(config));
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'abc\n');
    const cert = selfSignedCert();
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['--ui', '0.0.0.0:0'],
        1,
        /^swarmage drone: --ui 0\.0\.0\.0: off loopback the UI is served over TLS only \(the token would cross the network in clear\): give --certfile FILE and --keyfile FILE, or bind to 127\.0\.0\.1\n$/,
      ],
      [
        ['--ui', '0', '--token-file', short],
        2,
        /^swarmage drone: --token-file .*short\.txt: the token must be at least 16 printable characters without spaces \(got 3\)/,
      ],
      [['--ui', '0', '--token-file', path.join(dir, 'missing.txt')], 2, /^swarmage drone: --token-file: cannot read .*missing\.txt: ENOENT/],
      [['--ui', '0', '--certfile', cert?.certFile ?? 'cert.pem'], 2, /^swarmage drone: --certfile and --keyfile go together: give both/],
      [['--token-file', short], 2, /^swarmage drone: --token-file goes with --ui \[HOST:\]PORT/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(['drone', '--config', path.join(dir, 'swarmage.config.json'), ...args], { env: { XDG_RUNTIME_DIR: tmpDir() } });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('prints the login URL with the token of --token-file; swarmage ui lists it while the drone runs, and not after', async () => {
    const { dir, config } = await demoConfig();
    const runtime = tmpDir();
    const env = { XDG_RUNTIME_DIR: runtime };
    const tokenFile = path.join(dir, 'ui-token');
    fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const d = spawnDrone(String((config.queue as { config: { connectionString: string } }).config.connectionString), dir, config, {
      env,
      args: ['--ui', '127.0.0.1:0', '--token-file', tokenFile],
    });
    try {
      const m = await waitFor('the login URL', () => /swarmage: operator UI on (http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))\n/.exec(d.output()), 60_000);
      const [, loginUrl, port, token] = m;
      assert.equal(token, TOKEN);
      assert.doesNotMatch(fs.readFileSync(`/proc/${d.proc.pid}/cmdline`, 'utf8'), new RegExp(TOKEN), 'the token is on no command line');
      assert.equal(await status(`http://127.0.0.1:${port}/`), 401);
      assert.equal(await status(loginUrl), 303);

      const list = await runCli(['ui'], { env });
      assert.equal(list.code, 0, list.stderr);
      assert.match(
        list.stdout,
        new RegExp(`^${loginUrl.replace(/[.?]/g, '\\$&')}  pid ${d.proc.pid}, since \\S+, ${path.join(dir, 'swarmage.config.json').replace(/\./g, '\\.')}\\n$`),
      );
      const json = await runCli(['ui', '--json'], { env });
      const [info] = JSON.parse(json.stdout);
      assert.deepEqual(
        { pid: info.pid, loginUrl: info.loginUrl, token: info.token, url: info.url },
        { pid: d.proc.pid, loginUrl, token: TOKEN, url: `http://127.0.0.1:${port}/` },
      );
      const others = await runCli(['ui'], { env: { XDG_RUNTIME_DIR: tmpDir() } });
      assert.match(others.stdout, /^No running drone UI of this user \(looked in .*\)/, 'found through its folder only');
      await waitFor('the drone to run', () => /drone \S+ running on/.test(d.output()), 60_000);
    } finally {
      d.proc.kill('SIGTERM');
    }
    assert.equal(await d.exited, 0, d.output().slice(-2000));
    assert.deepEqual(fs.readdirSync(path.join(runtime, 'swarmage')), []);
    const after = await runCli(['ui'], { env });
    assert.equal(after.stdout, `No running drone UI of this user (looked in ${path.join(runtime, 'swarmage')}). Start one with "swarmage drone --ui 7420".\n`);
  });

  it('takes the token from SWARMAGE_UI_TOKEN too', async () => {
    const { dir, config } = await demoConfig();
    const url = String((config.queue as { config: { connectionString: string } }).config.connectionString);
    const d = spawnDrone(url, dir, config, { env: { XDG_RUNTIME_DIR: tmpDir(), SWARMAGE_UI_TOKEN: TOKEN }, args: ['--ui', '127.0.0.1:0'] });
    try {
      const m = await waitFor('the login URL', () => /operator UI on (http:\/\/127\.0\.0\.1:\d+\/)\?token=(\S+)\n/.exec(d.output()), 60_000);
      assert.equal(m[2], TOKEN);
      assert.equal(await status(m[1], { Authorization: `Bearer ${TOKEN}` }), 200);
      await waitFor('the drone to run', () => /drone \S+ running on/.test(d.output()), 60_000);
    } finally {
      d.proc.kill('SIGTERM');
    }
    assert.equal(await d.exited, 0, d.output().slice(-2000));
  });

  it('lists the ui command in the help', async () => {
    const r = await runCli(['--help']);
    assert.match(r.stdout, /\n {2}ui {8}list the login URLs of this user's running drone UIs\n/);
    const help = await runCli(['ui', '--help'], { env: { XDG_RUNTIME_DIR: '/run/user/4242' } });
    assert.match(help.stdout, /^Usage: swarmage ui \[--json\]/);
    assert.match(help.stdout, /in \/run\/user\/4242\/swarmage\n/);
  });
});
