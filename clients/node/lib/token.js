'use strict';
// Tokens for auth_awsiam accounts, minted in this process (docs/protocol.rst).

const wire = require('./wire');
const { sign } = require('./sign');
const { credentials } = require('./credentials');

const officialHost = (region) =>
  `sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;

// HOST[:PORT] of an STS endpoint URL.
function endpointAuthority(url) {
  const u = new URL(url);
  if (!['http:', 'https:'].includes(u.protocol) || !u.hostname || !['', '/'].includes(u.pathname)) {
    throw new Error(`not an STS endpoint URL: ${JSON.stringify(url.slice(0, 100))} (want https://HOST[:PORT])`);
  }
  return u.host.toLowerCase();
}

// The password of an auth_awsiam account: awsiam1. and the signed request. Signed for the
// official STS host of the region (AWS_REGION by default), or for stsEndpoint when the
// server is configured with one (default: AUTH_AWSIAM_STS_ENDPOINT, else
// AWS_ENDPOINT_URL_STS). Good for auth_awsiam_token_max_age seconds (900 by default).
async function generateToken({ region, stsEndpoint, serverId, profile, now } = {}) {
  region = region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('no region: pass region or set AWS_REGION');
  stsEndpoint = stsEndpoint || process.env.AUTH_AWSIAM_STS_ENDPOINT || process.env.AWS_ENDPOINT_URL_STS;
  const host = stsEndpoint ? endpointAuthority(stsEndpoint) : officialHost(region);
  const signed = await sign(host, region, await credentials(profile), { serverId, now });
  return wire.token(signed);
}

module.exports = { generateToken, endpointAuthority, officialHost };
