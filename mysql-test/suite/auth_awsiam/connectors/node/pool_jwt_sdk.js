// Node.js with mysql2, logging in with a JWT that AWS signs, minted with the
// AWS SDK for JavaScript v3 (@aws-sdk/client-sts) in the pool's hook: mysql2
// waits for a hook that returns a promise. Every new connection asks STS for a
// fresh token for this server's audience (GetWebIdentityToken), over TLS
// checked against the server's CA.
//
// Usage: node pool_jwt_sdk.js HOST PORT USER CA_FILE AUDIENCE
// The AWS credentials, region and STS endpoint come from the environment
// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_STS, ...), as the SDK reads them.
'use strict';
const fs = require('node:fs');
const mysql = require('mysql2/promise');
const { STSClient, GetWebIdentityTokenCommand } = require('@aws-sdk/client-sts');

const [host, port, user, caFile, audience] = process.argv.slice(2);
const sts = new STSClient({});
const pool = mysql.createPool({
  host,
  port: Number(port),
  user,
  ssl: { ca: fs.readFileSync(caFile), verifyIdentity: true },
  authPlugins: {
    // A token valid for 300 seconds, signed RS256 (ES384 costs the server ten
    // times more to check).
    mysql_clear_password: () => async () => {
      const { WebIdentityToken } = await sts.send(new GetWebIdentityTokenCommand({
        Audience: [audience],
        SigningAlgorithm: 'RS256',
      }));
      return Buffer.from(`${WebIdentityToken}\0`);
    },
  },
  connectionLimit: 2,
});

async function main() {
  // Two connections held at once: the pool opens two, each with its own token.
  const conns = [await pool.getConnection(), await pool.getConnection()];
  for (const [i, conn] of conns.entries()) {
    const [rows] = await conn.query(
      'SELECT USER() AS user, CURRENT_USER() AS account, @@external_user AS arn');
    const r = rows[0];
    console.log(`node mysql2, JWT from the SDK, connection ${i + 1}: ${r.user} ${r.account} ${r.arn}`);
  }
  for (const conn of conns) conn.release();
  await pool.end();
}
main().catch((e) => {
  console.log(`node mysql2, JWT from the SDK: refused: ${e.message}`);
  process.exitCode = 1;
});
