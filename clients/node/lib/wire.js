'use strict';
// The formats of docs/protocol.rst: tokens, challenges, answers, channel binding.

const crypto = require('node:crypto');

const TOKEN_PREFIX = 'awsiam1.';
const ANSWER_PREFIX = 'awsiamc2.';
const CHALLENGE_VERSION = 'awsiam-challenge/2';
const CHALLENGE_FIELDS = ['nonce', 'sts-host', 'region', 'server-id', 'timeout', 'answers', 'jwt-audience'];
const KNOWN_ANSWERS = ['sigv4', 'jwt'];
const MAX_CHALLENGE_LEN = 1024;

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// signed: { host, amzDate, credential, signedHeaders, signature, serverId, sessionToken }
const fields = (s) => [s.host, s.amzDate, s.credential, s.signedHeaders, s.signature,
  s.serverId || '', s.sessionToken || ''];

const token = (signed) => TOKEN_PREFIX + b64url(fields(signed).join('\n'));

const sigv4Answer = (signed, { nonce, audience, channel }) =>
  ANSWER_PREFIX + b64url(['sigv4', ...fields(signed), nonce, audience, channel || ''].join('\n'));

const jwtAnswer = (jwt) => ANSWER_PREFIX + b64url(`jwt\n${jwt}`);

class BadChallenge extends Error {}

// Reads a challenge (one trailing NUL tolerated), refusing anything outside the format.
function parseChallenge(raw) {
  let buf = Buffer.from(raw);
  if (buf.length && buf[buf.length - 1] === 0) buf = buf.subarray(0, buf.length - 1);
  if (buf.length > MAX_CHALLENGE_LEN) throw new BadChallenge(`the challenge is ${buf.length} bytes; the limit is ${MAX_CHALLENGE_LEN}`);
  if (buf.some((b) => b > 0x7f)) throw new BadChallenge('the challenge is not ASCII');
  const text = buf.toString('ascii');
  if (!text.endsWith('\n')) throw new BadChallenge('the challenge does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== CHALLENGE_VERSION) {
    if (lines[0] === 'awsiam-challenge/1') throw new BadChallenge('the server sends version 1 challenges: upgrade the server');
    throw new BadChallenge(`not a challenge of version 2 (first line ${JSON.stringify(lines[0].slice(0, 40))})`);
  }
  if (lines.length !== 1 + CHALLENGE_FIELDS.length) throw new BadChallenge(`the challenge has ${lines.length - 1} fields; version 2 has ${CHALLENGE_FIELDS.length}`);
  const v = {};
  CHALLENGE_FIELDS.forEach((name, i) => {
    const line = lines[i + 1];
    const eq = line.indexOf('=');
    if (eq < 0 || line.slice(0, eq) !== name) throw new BadChallenge(`expected the field ${name}, got ${JSON.stringify(line.slice(0, 40))}`);
    v[name] = line.slice(eq + 1);
  });
  if (!/^[A-Za-z0-9_-]{43}$/.test(v.nonce)) throw new BadChallenge('the nonce is not 43 characters of base64url');
  if (!v['sts-host'] || !v.region) throw new BadChallenge('the challenge names no STS host or region');
  if (!/^\d+$/.test(v.timeout)) throw new BadChallenge('the timeout is not a number of seconds');
  const offered = v.answers.split(',');
  if (new Set(offered).size !== offered.length) throw new BadChallenge('the challenge names an answer twice');
  const answers = offered.filter((a) => KNOWN_ANSWERS.includes(a));
  if (!answers.length) throw new BadChallenge(`the server takes none of the answers this client gives (${JSON.stringify(v.answers.slice(0, 64))})`);
  const jwtAudience = v['jwt-audience'] || null;
  if (offered.includes('jwt') !== (jwtAudience !== null)) throw new BadChallenge('jwt answers and a jwt-audience come together');
  return { nonce: v.nonce, stsHost: v['sts-host'], region: v.region, serverId: v['server-id'] || null,
    timeout: Number(v.timeout), answers, jwtAudience };
}

// The certificate's signature algorithm -> the hash of RFC 5929 (SHA-256 for MD5, SHA-1
// and what RFC 5929 does not name).
const OID_HASH = {
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
};

function derItem(der, at) {
  const first = der[at + 1];
  let start = at + 2;
  let len = first;
  if (first >= 0x80) {
    const n = first & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  if (start + len > der.length) throw new Error('the server certificate cannot be read');
  return { tag: der[at], start, end: start + len };
}

function signatureHash(der) {
  const cert = derItem(der, 0);
  const tbs = derItem(der, cert.start);
  const alg = derItem(der, tbs.end);
  const oid = derItem(der, alg.start);
  if (oid.tag !== 0x06) throw new Error('the server certificate cannot be read');
  return OID_HASH[der.subarray(oid.start, oid.end).toString('hex')] || 'sha256';
}

const channelBinding = (der) =>
  'tls-server-end-point:' + b64url(crypto.createHash(signatureHash(der)).update(der).digest());

module.exports = { token, sigv4Answer, jwtAnswer, parseChallenge, channelBinding, BadChallenge, b64url };
