// Node.js mysql2 through auth_awsiam_proxy: a user, no password, no authPlugins.
// Run: node app.js PORT USER
const mysql = require('mysql2/promise');

(async () => {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: Number(process.argv[2]), user: process.argv[3] });
  const [rows] = await conn.query('SELECT CURRENT_USER() AS user, @@external_user AS arn');
  console.log(`Node.js mysql2: ${rows[0].user} ${rows[0].arn}`);
  await conn.end();
})().catch((e) => { console.error(e.message); process.exit(1); });
