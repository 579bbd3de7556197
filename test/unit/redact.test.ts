import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../core/util/redact.js';

describe('redactUrl: a connection string shown in logs, the snapshot and status', () => {
  it('keeps host, port and database, and drops the user and password', () => {
    assert.equal(redactUrl('postgres://alice:s3cret@db.example.com:6432/jobs'), 'postgres://db.example.com:6432/jobs');
    assert.equal(redactUrl('postgresql://alice@db.example.com/jobs'), 'postgres://db.example.com/jobs');
  });

  it('drops every query parameter, where passwords and key files also travel', () => {
    const shown = redactUrl('postgres://db.example.com:5432/jobs?password=s3cret&sslkey=/home/alice/.pg/key.pem&options=-c%20x%3Ds3cret&sslmode=require');
    assert.equal(shown, 'postgres://db.example.com:5432/jobs');
  });

  it('keeps a Unix socket folder (and its port) visible, and drops the password', () => {
    const url = `postgres://swarmage:${encodeURIComponent('p@ss/w?rd')}@/postgres?host=${encodeURIComponent('/var/lib/swarmage/postgres')}&port=54329`;
    assert.equal(redactUrl(url), 'postgres:///postgres?host=/var/lib/swarmage/postgres&port=54329');
    assert.equal(redactUrl('postgres://u:pw@%2Frun%2Fpg/jobs'), 'postgres:///jobs?host=/run/pg');
    assert.equal(
      redactUrl('postgres://u:pw@/jobs?host=/Users/a/Library/Application Support/swarmage/postgres&password=x'),
      'postgres:///jobs?host=/Users/a/Library/Application Support/swarmage/postgres',
    );
  });

  it('never mistakes part of an unencoded password for the host', () => {
    assert.equal(redactUrl('postgres://alice:pa/ss@word@db.example.com/jobs'), 'postgres://db.example.com/jobs');
    const odd = redactUrl('postgres://alice:pa?ss=word@db/jobs');
    assert.ok(!odd.includes('word') && !odd.includes('alice'), odd);
  });

  it('shows a host list as it is', () => {
    assert.equal(redactUrl('postgres://u:pw@h1:5432,h2:5433/jobs?target_session_attrs=read-write'), 'postgres://h1:5432,h2:5433/jobs');
  });

  it('reads the libpq keyword form, keeping only host, port and dbname', () => {
    assert.equal(redactUrl("host=db.example.com port=6432 dbname=jobs user=alice password='s3 cret'"), 'postgres://db.example.com:6432/jobs');
  });

  it('shows nothing of a string it cannot parse', () => {
    const shown = redactUrl('not a url but maybe a s3cret');
    assert.ok(!shown.includes('s3cret'), shown);
  });
});
