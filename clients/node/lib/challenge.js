'use strict';
// Answering auth_awsiam_challenge in Node.js, as the C client plugin auth_awsiam_client
// does (docs/challenge.rst), with the same options and trust rules: an answer goes only
// over TLS whose server certificate was verified, over a local socket, or to a server
// named in AUTH_AWSIAM_TRUSTED_SERVERS; it is signed only for an official AWS STS host or
// AUTH_AWSIAM_STS_ENDPOINT; the audience is what the client dialed (or
// AUTH_AWSIAM_AUDIENCE), never what the server says; over TLS it is bound to the
// certificate the client saw. Everything is decided before credentials are touched.

const net = require('node:net');
const { partition } = require('@aws-sdk/core/client');
const wire = require('./wire');
const { sign } = require('./sign');
const { credentials } = require('./credentials');
const { endpointAuthority } = require('./token');

const ENV = { profile: 'AUTH_AWSIAM_PROFILE', region: 'AUTH_AWSIAM_REGION', stsEndpoint: 'AUTH_AWSIAM_STS_ENDPOINT',
  audience: 'AUTH_AWSIAM_AUDIENCE', trustedServers: 'AUTH_AWSIAM_TRUSTED_SERVERS' };
const JWT = { algorithm: 'RS256', lifetimeSeconds: 60, nonceTag: 'auth-awsiam-nonce',
  audienceTag: 'auth-awsiam-audience', channelTag: 'auth-awsiam-channel' };

class Refused extends Error {}

// [host, port|null] of host[:port] / [v6]:port, the host canonical.
function split(authority) {
  const m = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$|^([^:[\]]+)(?::(\d+))?$/.exec(authority.trim());
  if (!m) return null;
  let host = m[1] || m[3];
  const port = m[2] || m[4];
  host = net.isIP(host) === 6 ? new URL(`http://[${host}]`).hostname.slice(1, -1) : host.toLowerCase();
  return [host, port ? Number(port) : null];
}

// Whether the user's name (host[:port]; no port: any port) names authority.
function names(name, authority) {
  const want = split(name);
  const have = split(authority);
  return Boolean(want && have) && want[0] === have[0] && (want[1] === null || want[1] === have[1]);
}

function dialedName(host, port, transport) {
  if (transport.localSocket) return 'localhost';
  let h = host.trim().toLowerCase();
  if (h.includes(':') && !h.startsWith('[')) h = `[${h}]`;
  return `${h}:${port}`;
}

// The region of an official AWS STS host (a region the SDK knows, under its partition's
// domain), else null.
function officialStsRegion(host) {
  if (host === 'sts.amazonaws.com') return 'us-east-1';
  const m = /^sts(?:-fips)?\.([a-z0-9-]+)\.(.+)$/.exec(host);
  if (!m) return null;
  const p = partition(m[1]);
  return p && p.description && p.dnsSuffix === m[2] ? m[1] : null;
}

const option = (opts, key) => {
  const v = opts[key] !== undefined ? opts[key] : process.env[ENV[key]];
  return v && String(v).trim() ? String(v).trim() : null;
};

// The dialed name (the audience), if the server may get something signed: it proved
// itself (TLS whose certificate was verified), is this machine's (a Unix socket), or the
// user named it (trustedServers, host[:port],...). Else throws Refused.
function checkTrust(host, port, transport, trustedServers) {
  const name = dialedName(host, port, transport);
  const trusted = (trustedServers || '').split(',').filter((t) => t.trim());
  const tls = Boolean(transport.certificate);
  if ((tls && transport.verified) || transport.localSocket || trusted.some((t) => names(t, name))) return name;
  const how = tls ? 'TLS, but the client did not verify the server certificate' : 'not TLS';
  throw new Refused(`the connection to '${name}' is ${how}, so the server has not proved who it is. `
    + 'Connect over TLS with the server certificate verified, or over the local socket; to trust this server '
    + `anyway, add it to ${ENV.trustedServers} (host[:port])`);
}

// What to answer, decided with no I/O; throws Refused. transport: { localSocket,
// certificate (DER Buffer or null), verified }.
function plan(rawChallenge, host, port, transport, opts = {}) {
  let challenge;
  try {
    challenge = wire.parseChallenge(rawChallenge);
  } catch (e) {
    throw new Refused(`cannot read the server's challenge: ${e.message}`);
  }
  let name;
  try {
    name = checkTrust(host, port, transport, option(opts, 'trustedServers'));
  } catch (e) {
    throw new Refused(`not answering: ${e.message}`);
  }
  const tls = Boolean(transport.certificate);
  const endpoint = option(opts, 'stsEndpoint');
  const stsHost = endpoint ? endpointAuthority(endpoint) : challenge.stsHost;
  const officialRegion = endpoint ? null : officialStsRegion(stsHost);
  if (!endpoint && !officialRegion) {
    throw new Refused(`not answering: the server asks for a request signed for '${stsHost}', which is not an `
      + `official AWS STS host; if it is your STS endpoint, set ${ENV.stsEndpoint} to its URL`);
  }
  let audience = name;
  for (const rule of (option(opts, 'audience') || '').split(',')) {
    const eq = rule.indexOf('=');
    if (eq > 0 && names(rule.slice(0, eq).trim(), name)) {
      audience = rule.slice(eq + 1).trim();
      break;
    }
  }
  return { challenge, stsHost, endpoint, profile: option(opts, 'profile'),
    region: option(opts, 'region') || officialRegion || challenge.region,
    binding: { nonce: challenge.nonce, audience, channel: tls ? wire.channelBinding(transport.certificate) : null } };
}

// The answer to the server's challenge packet, with the first kind it offers that this
// package gives.
async function answer(rawChallenge, host, port, transport, opts = {}) {
  const p = plan(rawChallenge, host, port, transport, opts);
  if (p.challenge.answers[0] === 'jwt') return wire.jwtAnswer(await mintJwt(p));
  const signed = await sign(p.stsHost, p.region, await credentials(p.profile),
    { serverId: p.challenge.serverId, binding: p.binding });
  return wire.sigv4Answer(signed, p.binding);
}

// A 60-second RS256 JWT for the challenge's audience, tagged for this connection.
async function mintJwt(p) {
  const { STSClient, GetWebIdentityTokenCommand } = require('@aws-sdk/client-sts');
  const tags = [{ Key: JWT.nonceTag, Value: p.binding.nonce }, { Key: JWT.audienceTag, Value: p.binding.audience }];
  if (p.binding.channel) tags.push({ Key: JWT.channelTag, Value: p.binding.channel });
  const sts = new STSClient({ region: p.region, endpoint: p.endpoint || undefined,
    credentials: () => credentials(p.profile) });
  const out = await sts.send(new GetWebIdentityTokenCommand({ Audience: [p.challenge.jwtAudience],
    SigningAlgorithm: JWT.algorithm, DurationSeconds: JWT.lifetimeSeconds, Tags: tags }));
  return out.WebIdentityToken;
}

module.exports = { plan, answer, checkTrust, Refused, dialedName, ENV };
