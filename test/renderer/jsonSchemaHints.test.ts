import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configJsonSchema } from '../../core/config/schema.js';
import { completionsAt, hoverAt, schemasAt } from '../../renderer/src/lib/jsonSchemaHints.js';

const CONFIG = configJsonSchema();

/** Completions at the `|` of a text. */
function at(schema: unknown, marked: string) {
  const offset = marked.indexOf('|');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const c = completionsAt(schema, text, offset);
  return { ...c, text, labels: c.candidates.map((x) => x.display), by: (d: string) => c.candidates.find((x) => x.display === d) };
}

describe('schema completion (the config schema)', () => {
  it('offers top-level keys not yet present, with their descriptions', () => {
    const c = at(CONFIG, '{\n  "workers": {},\n  |\n}');
    assert.ok(c.labels.includes('maxPerWorker'), c.labels.join());
    assert.ok(!c.labels.includes('workers'), 'a key already there is not offered again');
    const m = c.by('maxPerWorker')!;
    assert.match(m.info, /Capacity per worker instance/);
    assert.equal(m.detail, 'integer', 'no default: unset, the drone sizes buffers itself');
    assert.equal(m.apply, '"maxPerWorker": ');
    assert.equal(c.by('pollIntervalMs')!.detail, 'integer, default 2000');
    assert.equal(c.typed, false);
  });

  it("inside a type's entry offers the worker keys (through the anyOf of object or array), and replaces the typed word with its quotes", () => {
    const c = at(CONFIG, '{"workers": {"factorial": {"module": "./f.js", "pre|"}}}');
    assert.deepEqual(c.labels.sort(), ['batchResults', 'concurrency', 'config', 'maxMemoryMb', 'prefetch', 'timeoutMs']);
    assert.equal(c.text.slice(c.from, c.to), '"pre"');
    assert.equal(c.typed, true);
    assert.match(c.by('prefetch')!.info, /handed to one instance ahead of time/);
    // An entry in the array form gets the same keys; a colon already there is not doubled.
    const arr = at(CONFIG, '{"workers": {"f": [{"modu|": "x"}]}}');
    assert.equal(arr.by('module')!.apply, '"module"');
    assert.ok(!arr.labels.includes('nope'));
  });

  it('offers enum and boolean values where the schema has them', () => {
    assert.deepEqual(at(CONFIG, '{"log": {"level": |}}').labels, ['"debug"', '"info"', '"warn"', '"error"']);
    const bool = at(CONFIG, '{"queue": {"config": {"asyncClaimCommit": tr|}}}');
    assert.deepEqual(bool.labels, ['true', 'false']);
    assert.equal(bool.text.slice(bool.from, bool.to), 'tr');
    // Free-form values have nothing to offer but their default.
    assert.deepEqual(at(CONFIG, '{"pollIntervalMs": |}').labels, ['2000']);
    assert.deepEqual(at(CONFIG, '{"alias": |}').labels, []);
  });

  it('knows nothing inside a worker\'s own free-form "config"', () => {
    assert.deepEqual(at(CONFIG, '{"workers": {"f": {"config": {|}}}}').labels, []);
  });
});

describe('schema completion (payload schemas)', () => {
  const payload = {
    $defs: { lang: { enum: ['en', 'fr'], description: 'Language of the greeting.' } },
    type: 'object',
    properties: {
      name: { type: 'string', title: 'Who to greet' },
      lang: { $ref: '#/$defs/lang' },
      tags: { type: 'array', items: { type: 'object', properties: { loud: { type: ['boolean', 'null'] } } } },
    },
  };

  it('follows local $refs and array items', () => {
    const top = at(payload, '{|}');
    assert.deepEqual(top.labels, ['name', 'lang', 'tags']);
    assert.equal(top.by('name')!.info, 'Who to greet');
    assert.equal(top.by('lang')!.info, 'Language of the greeting.');
    assert.deepEqual(at(payload, '{"lang": "|"}').labels, ['"en"', '"fr"']);
    assert.deepEqual(at(payload, '{"tags": [{}, {"loud": |}]}').labels, ['true', 'false', 'null']);
    assert.deepEqual(at(payload, '{"tags": [{|}]}').labels, ['loud']);
  });

  it('offers nothing for a schema that is not an object schema, or no schema', () => {
    assert.deepEqual(at({ type: 'integer', minimum: 0 }, '|').labels, []);
    assert.deepEqual(at(null, '{|}').labels, []);
    assert.deepEqual(schemasAt({ $ref: '#' }, ['a']), [], 'a schema referring to itself ends');
  });
});

describe('hover docs', () => {
  it('describe the key or value under the pointer', () => {
    const text = '{\n  "maxPerWorker": 20,\n  "log": {"level": "info"}\n}';
    const key = hoverAt(CONFIG, text, text.indexOf('maxPerWorker') + 3)!;
    assert.equal(key.name, 'maxPerWorker');
    assert.match(key.info, /Capacity per worker instance/);
    assert.equal(text.slice(key.from, key.to), '"maxPerWorker"');
    const value = hoverAt(CONFIG, text, text.indexOf('"info"') + 2)!;
    assert.equal(value.name, 'level');
    assert.equal(value.detail, '"debug" | "info" | "warn" | "error", default "info"');
    assert.equal(hoverAt(CONFIG, text, text.indexOf('{', 2)), null, 'nothing over punctuation');
  });
});
