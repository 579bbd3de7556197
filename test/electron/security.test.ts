import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  isAllowedNavigation,
  isAppIndex,
  isRemoteRequest,
  isSafeExternalUrl,
  isTrustedSender,
  navigationDecision,
  permissionDecision,
  REMOTE_REQUEST_PATTERNS,
  webviewDecision,
  windowOpenDecision,
} from '../../electron/security.js';
import { APP_INDEX_URL, RENDERER_INDEX } from '../../electron/window.js';

const INDEX = APP_INDEX_URL;
const SIBLING = 'swarmage://app/other.html';
// The built index on disk, as file://: the same bytes, but not our origin.
const FILE_INDEX = pathToFileURL(RENDERER_INDEX).href;

const NOT_OURS = [
  'http://127.0.0.1:7420/',
  'http://127.0.0.1:7420/index.html',
  'https://example.com/',
  'https://evil.example/index.html',
  SIBLING,
  FILE_INDEX,
  'file:///etc/passwd',
  pathToFileURL(path.resolve('/tmp/index.html')).href,
  'swarmage://evil/index.html',
  'swarmage://app:8080/index.html',
  'swarmage://user@app/index.html',
  'swarmage://app/assets/index.html',
  `${INDEX}?x=1`,
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'about:blank',
  'chrome://settings',
  'devtools://devtools/bundled/inspector.html',
  'swarmage://index.html',
  '',
  'not a url',
  'file:///%E0%A4%A', // malformed percent-encoding
];

describe('electron security decisions (pure)', () => {
  it('the app index is swarmage://app/index.html, whatever the hash; never a file:// URL, not even of the same file', () => {
    assert.equal(INDEX, 'swarmage://app/index.html');
    assert.ok(isAppIndex(INDEX, INDEX));
    assert.ok(isAppIndex(`${INDEX}#/logs`, INDEX));
    assert.ok(isAppIndex('swarmage://app/%69ndex.html', INDEX), 'compared decoded');
    for (const url of NOT_OURS) assert.equal(isAppIndex(url, INDEX), false, url);
    // Not even when the trusted URL itself is a file:// one.
    assert.equal(isAppIndex(FILE_INDEX, FILE_INDEX), false);
  });

  it('denies every navigation except to our own index (http, https, other file:// paths, javascript:, …)', () => {
    assert.ok(isAllowedNavigation(INDEX, INDEX));
    for (const url of NOT_OURS) assert.equal(isAllowedNavigation(url, INDEX), false, url);
    assert.equal(isAllowedNavigation(undefined, INDEX), false);
    assert.equal(isAllowedNavigation(42, INDEX), false);
  });

  it('sends only https links to the browser: never javascript:, file:, http:, data:, custom schemes or malformed URLs', () => {
    for (const url of ['https://example.com/', 'https://github.com/swarmage/swarmage/issues?q=a#b', 'https://[::1]:8443/x']) {
      assert.ok(isSafeExternalUrl(url), url);
    }
    for (const url of [
      'http://example.com/',
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'java\tscript:alert(1)',
      ' https://example.com/',
      'https://example.com/\n',
      'https://exa mple.com/',
      'file:///etc/passwd',
      'data:text/html,hi',
      'vbscript:msgbox',
      'smb://host/share',
      'ms-msdt:/id',
      'swarmage://x',
      'mailto:a@b.c',
      'https://good.example@evil.example/',
      'https://user:pw@example.com/',
      'https:',
      'https://',
      '//example.com',
      'example.com',
      '',
      `https://example.com/${'a'.repeat(9000)}`,
      undefined,
      null,
      {},
    ]) {
      assert.equal(isSafeExternalUrl(url), false, String(url));
    }
  });

  it('a navigation away from the app is denied; an https one is offered to the browser instead', () => {
    assert.deepEqual(navigationDecision(INDEX, INDEX), { allow: true, openExternal: null });
    assert.deepEqual(navigationDecision('https://example.com/docs', INDEX), { allow: false, openExternal: 'https://example.com/docs' });
    for (const url of ['http://example.com/', 'javascript:alert(1)', SIBLING, 'file:///etc/passwd']) {
      assert.deepEqual(navigationDecision(url, INDEX), { allow: false, openExternal: null }, url);
    }
  });

  it('a subframe never navigates, not even to our index, and opens nothing', () => {
    assert.deepEqual(navigationDecision(INDEX, INDEX, false), { allow: false, openExternal: null });
    assert.deepEqual(navigationDecision('https://example.com/', INDEX, false), { allow: false, openExternal: null });
  });

  it('new windows are always denied, our own page included; https links go to the browser', () => {
    assert.deepEqual(windowOpenDecision('https://example.com/'), { action: 'deny', openExternal: 'https://example.com/' });
    assert.deepEqual(windowOpenDecision(INDEX), { action: 'deny', openExternal: null });
    for (const url of ['http://example.com/', 'javascript:alert(1)', 'file:///etc/passwd', 'about:blank', '']) {
      assert.deepEqual(windowOpenDecision(url), { action: 'deny', openExternal: null }, url);
    }
  });

  it('trusts IPC only from the main frame of our own page', () => {
    assert.ok(isTrustedSender(INDEX, INDEX, true));
    assert.ok(isTrustedSender(`${INDEX}#/failed`, INDEX, true));
    assert.equal(isTrustedSender(INDEX, INDEX, false), false, 'a subframe, even of our URL');
    for (const url of NOT_OURS) assert.equal(isTrustedSender(url, INDEX, true), false, url);
    assert.equal(isTrustedSender(null, INDEX, true), false);
  });

  it('grants no permission and attaches no webview', () => {
    for (const p of [
      'media',
      'notifications',
      'geolocation',
      'clipboard-read',
      'clipboard-sanitized-write',
      'hid',
      'serial',
      'usb',
      'openExternal',
      'fullscreen',
      'unknown',
    ]) {
      assert.equal(permissionDecision(p), false, p);
    }
    assert.equal(permissionDecision(), false);
    assert.deepEqual(webviewDecision(), { attach: false });
  });

  it('cancels every network request: http, https, ws, wss', () => {
    assert.deepEqual([...REMOTE_REQUEST_PATTERNS].sort(), ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']);
    for (const url of ['http://127.0.0.1:7420/api', 'https://fonts.example/x.woff2', 'ws://127.0.0.1:7420/api', 'wss://x/', 'garbage']) {
      assert.ok(isRemoteRequest(url), url);
    }
    assert.equal(isRemoteRequest(`${INDEX.replace('index.html', 'assets/app.js')}`), false);
    // The page has no business with the disk outside its scheme.
    assert.ok(isRemoteRequest('file:///etc/passwd'));
  });
});
