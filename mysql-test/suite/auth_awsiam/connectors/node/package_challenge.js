// Node.js with the package auth-awsiam (clients/node) and mysql2: logins to an
// auth_awsiam_challenge account with no password and no token, mysql2 answering
// each connection's challenge in JavaScript (authPlugins), under the client
// plugin's rules: the server's certificate verified against the CA.
//
// Usage: node package_challenge.js HOST PORT USER CA_FILE CONNECTIONS [--unverified]
// With --unverified the connection is TLS without checking the certificate: the
// package answers nothing, and says why.
'use strict';
const fs = require('node:fs');
const mysql = require('mysql2/promise');
const { authPlugins } = require('auth-awsiam');

const [host, port, user, caFile, connections, flag] = process.argv.slice(2);
const ssl = flag === '--unverified'
  ? { rejectUnauthorized: false }
  : { ca: fs.readFileSync(caFile), verifyIdentity: true };

async function openOne() {
  try {
    const conn = await mysql.createConnection({ host, port: Number(port), user, ssl, authPlugins: authPlugins() });
    const [r] = await conn.query('SELECT USER() AS u, CURRENT_USER() AS a, @@external_user AS arn');
    await conn.end();
    return `${r[0].u}\t${r[0].a}\t${r[0].arn}`;
  } catch (e) {
    return `refused: ${e.message}`;
  }
}

async function main() {
  // A pool filling up: all its connections open at once.
  const rows = await Promise.all(Array.from({ length: Number(connections) }, openOne));
  for (const r of rows.sort()) console.log('node auth-awsiam package:', r);
}
main();
