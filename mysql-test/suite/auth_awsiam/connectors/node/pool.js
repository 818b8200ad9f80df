// Node.js with mysql2: a connection pool whose every new connection logs in
// with a fresh auth_awsiam token, over TLS checked against the server's CA.
//
// Usage: node pool.js HOST PORT USER CA_FILE
// The AWS credentials, region and STS endpoint come from the environment, as
// for the AWS CLI (AWS_PROFILE, AWS_REGION, ...): auth_awsiam_token reads them.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const mysql = require('mysql2/promise');

// Called for each new connection; add '--server-id', 'ID' if the server sets one.
function mintToken() {
  return execFileSync('auth_awsiam_token', ['--format', 'token'], { encoding: 'utf8' }).trim();
}

const [host, port, user, caFile] = process.argv.slice(2);
const pool = mysql.createPool({
  host,
  port: Number(port),
  user,
  // TLS, with the server's certificate checked against the CA, and its name
  // against HOST (verifyIdentity; mysql2 checks names, not IP addresses).
  ssl: { ca: fs.readFileSync(caFile), verifyIdentity: true },
  // mysql2 answers the server's switch to mysql_clear_password only when
  // enableCleartextPlugin is set (it then sends the pool's fixed password) or
  // through this hook, which runs at every login: each new connection gets a
  // new token.
  authPlugins: {
    mysql_clear_password: () => () => Buffer.from(`${mintToken()}\0`),
  },
  connectionLimit: 2,
});

async function main() {
  // Two connections held at once: the pool opens two, each with its own token.
  const conns = [await pool.getConnection(), await pool.getConnection()];
  for (const [i, conn] of conns.entries()) {
    const [rows] = await conn.query(
      "SELECT USER() AS user, CURRENT_USER() AS account, @@external_user AS arn, " +
        "(SELECT variable_value FROM performance_schema.session_status " +
        "WHERE variable_name = 'Ssl_version') AS tls");
    const r = rows[0];
    console.log(`node mysql2, connection ${i + 1}: ${r.user} ${r.account} ${r.arn} ${r.tls}`);
  }
  conns.forEach((c) => c.release());
  await pool.end();
}

main().catch((e) => {
  console.log(`node mysql2: refused: ${e.code || ''} ${e.message}`);
  process.exit(1);
});
