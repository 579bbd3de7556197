import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isInspectorNote, parseInspectorLine } from '../../core/workers/debugSessions.js';

describe("parseInspectorLine: where a debug instance's inspector listens, from its stderr", () => {
  it('reads the address Node writes when the inspector starts', () => {
    assert.deepEqual(parseInspectorLine('Debugger listening on ws://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60'), {
      webSocketUrl: 'ws://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      host: '127.0.0.1',
      port: 40213,
    });
    assert.equal(parseInspectorLine('Debugger listening on ws://127.0.0.1:9229/0b5e3f0c-2d1a-4f7e-8c6b-5a4d3c2b1a09')?.port, 9229);
  });

  it("ignores the inspector's other lines and the worker's own noise", () => {
    for (const line of [
      'For help, see: https://nodejs.org/en/docs/inspector',
      'Debugger attached.',
      'Waiting for the debugger to disconnect...',
      '(node:1234) ExperimentalWarning: something',
      'Error: boom',
      '',
    ])
      assert.equal(parseInspectorLine(line), null, line);
  });

  it('ignores partial and altered lines', () => {
    for (const line of [
      'Debugger listening on ws://127.0.0.1:40213/',
      'Debugger listening on ws://127.0.0.1:40213',
      'Debugger listening on ws://127.0.0.1:/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      'Debugger listening on ws://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60 and more',
      'worker says: Debugger listening on ws://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      'Debugger listening on ws://0.0.0.0:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      'Debugger listening on http://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      'Debugger listening on ws://127.0.0.1:40213/NOT-HEX',
    ])
      assert.equal(parseInspectorLine(line), null, line);
  });
});

describe("isInspectorNote: the inspector's own stderr lines, logged as news rather than warnings", () => {
  it('knows them', () => {
    for (const line of [
      'Debugger listening on ws://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      'For help, see: https://nodejs.org/en/docs/inspector',
      'Debugger attached.',
      'Debugger ending on ws://127.0.0.1:40213/8f3c1a2e-5d6b-4c7a-9e0f-1b2c3d4e5f60',
      'Waiting for the debugger to disconnect...',
    ])
      assert.ok(isInspectorNote(line), line);
  });

  it('leaves everything else a warning', () => {
    for (const line of ['Error: boom', '  at foo (file.js:1:1)', 'my Debugger attached.', '']) assert.ok(!isInspectorNote(line), line);
  });
});
