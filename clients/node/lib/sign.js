'use strict';
// SigV4 over the fixed GetCallerIdentity request (docs/protocol.rst), with the AWS SDK's
// signer.

const { SignatureV4 } = require('@smithy/signature-v4');
const { HttpRequest } = require('@smithy/protocol-http');
const { Sha256 } = require('@aws-crypto/sha256-js');

const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
const CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';

// host: HOST[:PORT]; credentials: { accessKeyId, secretAccessKey, sessionToken };
// binding: { nonce, audience, channel } or null.
async function sign(host, region, credentials, { serverId = null, binding = null, now = new Date() } = {}) {
  const headers = { host, 'content-type': CONTENT_TYPE };
  if (serverId) headers['x-auth-awsiam-server-id'] = serverId;
  if (binding) {
    headers['x-auth-awsiam-nonce'] = binding.nonce;
    headers['x-auth-awsiam-audience'] = binding.audience;
    if (binding.channel) headers['x-auth-awsiam-channel'] = binding.channel;
  }
  const [hostname, port] = host.split(/:(?=\d+$)/);
  const request = new HttpRequest({ method: 'POST', protocol: 'https:', hostname,
    port: port ? Number(port) : undefined, path: '/', headers, body: BODY });
  // applyChecksum: false: the request has no x-amz-content-sha256 header.
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(request, { signingDate: now });
  const auth = signed.headers.authorization;
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new Error('the signer gave an Authorization header of unknown form');
  return { host, amzDate: signed.headers['x-amz-date'], credential: m[1], signedHeaders: m[2],
    signature: m[3], serverId, sessionToken: credentials.sessionToken || null };
}

module.exports = { sign };
