'use strict';
// mysql2: authPlugins entries for auth_awsiam_client (challenge answers) and
// mysql_clear_password (a fresh token), and a pool's options.

const tls = require('node:tls');
const challenge = require('./challenge');
const { generateToken } = require('./token');

// How mysql2 reached the server: its stream is a TLSSocket once TLS is on; `authorized`
// is true when the certificate verified against the CA (rejectUnauthorized).
function transport(connection) {
  const c = connection.config;
  if (c.socketPath) return { localSocket: true, certificate: null, verified: false };
  const s = connection.stream;
  if (s instanceof tls.TLSSocket) {
    const cert = s.getPeerCertificate();
    return { localSocket: false, certificate: cert && cert.raw ? cert.raw : null, verified: s.authorized === true };
  }
  return { localSocket: false, certificate: null, verified: false };
}

// authPlugins for mysql2: auth_awsiam_client answers the challenge (opts: the challenge
// options, as AUTH_AWSIAM_* environment variables name them); mysql_clear_password sends
// a fresh token (tokenOptions: generateToken's) when the server asks for one.
function authPlugins({ challengeOptions = {}, tokenOptions = null } = {}) {
  const plugins = {
    auth_awsiam_client: ({ connection }) => async (data) => {
      const c = connection.config;
      const a = await challenge.answer(data, c.host, c.port, transport(connection), challengeOptions);
      return Buffer.from(a, 'ascii');
    },
  };
  if (tokenOptions) {
    // One token for reuseSeconds (default 10 minutes, inside the server's default
    // auth_awsiam_token_max_age of 15): a pool filling up mints one, and the server
    // answers the reused token from its cache.
    const reuseMs = (tokenOptions.reuseSeconds || 600) * 1000;
    let held = null;
    const token = () => {
      if (!held || Date.now() - held.at >= reuseMs) held = { at: Date.now(), token: generateToken(tokenOptions) };
      return held.token;
    };
    // A token is a signed request too: it goes only where a challenge answer may.
    plugins.mysql_clear_password = ({ connection }) => async () => {
      const c = connection.config;
      try {
        challenge.checkTrust(c.host, c.port, transport(connection), process.env[challenge.ENV.trustedServers]);
      } catch (e) {
        throw new Error(`not sending a token: ${e.message}`);
      }
      let t;
      try {
        t = await token();
      } catch (e) {
        held = null;
        throw e;
      }
      return Buffer.concat([Buffer.from(t, 'ascii'), Buffer.from([0])]);
    };
  }
  return plugins;
}

module.exports = { authPlugins, transport };
