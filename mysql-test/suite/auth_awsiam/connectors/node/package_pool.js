// Node.js with the package auth-awsiam (clients/node, installed with
// npm install ./clients/node) and mysql2: a pool whose connections log in with a
// token minted in this process (no auth_awsiam_token subprocess, the AWS
// credentials loaded once) and reused within its life, over TLS checked against
// the server's CA. The pool's connections open at once.
//
// Usage: node package_pool.js HOST PORT USER CA_FILE CONNECTIONS
// The AWS credentials, region and STS endpoint come from the environment, as
// for the AWS CLI (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_STS, ...).
'use strict';
const fs = require('node:fs');
const mysql = require('mysql2/promise');
const { authPlugins } = require('auth-awsiam');

const [host, port, user, caFile, connections] = process.argv.slice(2);
const n = Number(connections);
const pool = mysql.createPool({
  host,
  port: Number(port),
  user,
  ssl: { ca: fs.readFileSync(caFile), verifyIdentity: true },
  // The server asks for mysql_clear_password (auth_awsiam): the package sends a token.
  authPlugins: authPlugins({ tokenOptions: {} }),
  connectionLimit: n,
});

async function main() {
  // All n connections held at once: the pool opens n, none reused.
  const conns = await Promise.all(Array.from({ length: n }, () => pool.getConnection().catch((e) => e)));
  const rows = [];
  for (const conn of conns) {
    if (conn instanceof Error) {
      rows.push(`refused: ${conn.message}`);
      continue;
    }
    const [r] = await conn.query('SELECT USER() AS u, CURRENT_USER() AS a, @@external_user AS arn');
    rows.push(`${r[0].u}\t${r[0].a}\t${r[0].arn}`);
  }
  for (const conn of conns) if (!(conn instanceof Error)) conn.release();
  for (const r of rows.sort()) console.log('node auth-awsiam package:', r);
  await pool.end();
}
main();
