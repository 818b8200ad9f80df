// What an application sees when it forgets the cleartext switch: mysql2 with a
// token as a plain password, over TLS, but neither enableCleartextPlugin nor an
// authPlugins hook. mysql2 refuses the server's switch to mysql_clear_password
// and closes the connection; the server logs no_token.
//
// Usage: node no_cleartext.js HOST PORT USER CA_FILE
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const mysql = require('mysql2/promise');

const [host, port, user, caFile] = process.argv.slice(2);
const token = execFileSync('auth_awsiam_token', ['--format', 'token'], { encoding: 'utf8' }).trim();
mysql
  .createConnection({ host, port: Number(port), user, password: token,
                      ssl: { ca: fs.readFileSync(caFile), verifyIdentity: true } })
  .then(() => { console.log('node mysql2 without the switch: logged in'); process.exit(0); })
  .catch((e) => { console.log(`node mysql2 without the switch: ${e.code}`); process.exit(1); });
