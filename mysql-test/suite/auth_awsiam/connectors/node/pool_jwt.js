// Node.js with mysql2, logging in with a JWT that AWS signs (IAM outbound
// identity federation): a connection pool whose every new connection asks AWS
// STS for a fresh token for this server's audience (GetWebIdentityToken) and
// sends it as the password, over TLS checked against the server's CA. No
// program of this project is needed on the application's machine.
//
// Usage: node pool_jwt.js HOST PORT USER CA_FILE AUDIENCE
// The AWS credentials, region and STS endpoint come from the environment
// (AWS_PROFILE, AWS_REGION, ...; AWS CLI v1 reads the region from
// AWS_DEFAULT_REGION). The token comes from the stock AWS CLI; with
// the AWS SDK for JavaScript v3, mint it in the hook with
// GetWebIdentityTokenCommand instead (see docs/connectors.rst).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const mysql = require('mysql2/promise');

// Called for each new connection: a token valid for 300 seconds, signed RS256
// (ES384 costs the server ten times more to check).
function mintJwt(audience) {
  return execFileSync('aws', ['sts', 'get-web-identity-token', '--audience', audience,
    '--signing-algorithm', 'RS256', '--query', 'WebIdentityToken', '--output', 'text'],
  { encoding: 'utf8' }).trim();
}

const [host, port, user, caFile, audience] = process.argv.slice(2);
const pool = mysql.createPool({
  host,
  port: Number(port),
  user,
  // TLS, with the server's certificate checked against the CA, and its name
  // against HOST (verifyIdentity; mysql2 checks names, not IP addresses).
  ssl: { ca: fs.readFileSync(caFile), verifyIdentity: true },
  // The same hook as for an auth_awsiam token: it runs at every login.
  authPlugins: {
    mysql_clear_password: () => () => Buffer.from(`${mintJwt(audience)}\0`),
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
    console.log(`node mysql2, JWT, connection ${i + 1}: ${r.user} ${r.account} ${r.arn} ${r.tls}`);
  }
  conns.forEach((c) => c.release());
  await pool.end();
}

main().catch((e) => {
  console.log(`node mysql2, JWT: refused: ${e.code || ''} ${e.message}`);
  process.exit(1);
});
