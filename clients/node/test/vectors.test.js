'use strict';
// The package's formats and signer against docs/protocol.rst's test vectors (the file
// every implementation reads), and its trust rules. node --test test/

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const wire = require('../lib/wire');
const { sign } = require('../lib/sign');
const challenge = require('../lib/challenge');

const TESTDATA = path.join(__dirname, '..', '..', '..', 'plugin', 'auth_awsiam', 'core', 'testdata');
const V = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'protocol-vectors.json'), 'utf8'));
const certDer = () => Buffer.from(fs.readFileSync(path.join(TESTDATA, 'channel_cert.pem'), 'utf8')
  .split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64');

const signed = (v, binding = null) => sign(v.host, v.region,
  { accessKeyId: v.access_key_id, secretAccessKey: v.secret_access_key, sessionToken: v.session_token || undefined },
  { serverId: v.server_id, binding, now: new Date(v.time) });

test('tokens', async () => {
  for (const v of V.tokens) assert.strictEqual(wire.token(await signed(v)), v.token, v.name);
});

test('sigv4 answers', async () => {
  for (const v of V.sigv4_answers) {
    const b = { nonce: v.nonce, audience: v.audience, channel: v.channel };
    assert.strictEqual(wire.sigv4Answer(await signed(v, b), b), v.answer, v.name);
  }
});

test('jwt answers, channel binding, challenges', () => {
  for (const v of V.jwt_answers) assert.strictEqual(wire.jwtAnswer(v.jwt), v.answer);
  for (const v of V.channel_bindings) assert.strictEqual(wire.channelBinding(certDer()), v.value);
  for (const v of V.challenges) {
    assert.deepStrictEqual(wire.parseChallenge(Buffer.from(v.text)), { nonce: v.nonce, stsHost: v.sts_host,
      region: v.region, serverId: v.server_id, timeout: v.timeout_seconds, answers: v.answers, jwtAudience: v.jwt_audience });
  }
});

test('bad challenges are refused', () => {
  const good = V.challenges[0].text;
  for (const bad of [good.replace('/2', '/1'), good.slice(0, -1), good.replace('answers=sigv4', 'answers=x'),
    good.replace('answers=sigv4', 'answers=jwt'), 'x'.repeat(2000) + '\n']) {
    assert.throws(() => wire.parseChallenge(Buffer.from(bad)), wire.BadChallenge);
  }
});

test('unverified servers get nothing; verified TLS, a socket or a named server are answered', () => {
  const raw = Buffer.from(V.challenges[0].text);
  const noEnv = { trustedServers: '', stsEndpoint: '', audience: '', region: '', profile: '' };
  for (const t of [{ certificate: null }, { certificate: certDer(), verified: false }]) {
    assert.throws(() => challenge.plan(raw, 'db1.example.com', 3306, t, noEnv), /AUTH_AWSIAM_TRUSTED_SERVERS/);
  }
  const p = challenge.plan(raw, 'db1.example.com', 3306, { certificate: certDer(), verified: true }, noEnv);
  assert.strictEqual(p.binding.audience, 'db1.example.com:3306');
  assert.strictEqual(p.binding.channel, V.channel_bindings[0].value);
  assert.strictEqual(challenge.plan(raw, 'x', 1, { localSocket: true }, noEnv).binding.audience, 'localhost');
  const named = challenge.plan(raw, 'db1.example.com', 3306, {}, { ...noEnv, trustedServers: 'DB1.example.com' });
  assert.strictEqual(named.binding.channel, null);
});

test('only official STS hosts or the configured one; the audience is the user\'s', () => {
  const rogue = Buffer.from(V.challenges[0].text.replace('sts.eu-west-1.amazonaws.com', 'sts.evil.example'));
  const noEnv = { trustedServers: '', stsEndpoint: '', audience: '', region: '', profile: '' };
  assert.throws(() => challenge.plan(rogue, 'h', 1, { localSocket: true }, noEnv), /not an official AWS STS host/);
  const p = challenge.plan(rogue, 'h', 1, { localSocket: true }, { ...noEnv, stsEndpoint: 'http://127.0.0.1:4566' });
  assert.strictEqual(p.stsHost, '127.0.0.1:4566');
  const a = challenge.plan(Buffer.from(V.challenges[0].text), 'h', 1, { localSocket: true },
    { ...noEnv, audience: 'localhost=db1.example.com' });
  assert.strictEqual(a.binding.audience, 'db1.example.com');
});

test('a token goes only where an answer may', () => {
  assert.throws(() => challenge.checkTrust('db1.example.com', 3306, {}, ''), /not TLS/);
  assert.throws(() => challenge.checkTrust('db1.example.com', 3306, { certificate: certDer(), verified: false }, ''),
    /did not verify/);
  assert.strictEqual(challenge.checkTrust('db1.example.com', 3306, { certificate: certDer(), verified: true }, ''),
    'db1.example.com:3306');
  assert.strictEqual(challenge.checkTrust('db1', 3306, {}, 'db1:3306,other'), 'db1:3306');
  assert.throws(() => challenge.checkTrust('db1', 3307, {}, 'db1:3306'));
});
