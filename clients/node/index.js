'use strict';
// AWS IAM logins to MySQL servers with the auth_awsiam plugin, from Node.js: tokens minted
// in this process (generateToken), and mysql2 authPlugins that answer
// auth_awsiam_challenge, or send a fresh token, as the server asks. The formats are
// docs/protocol.rst's; the tests check them against its test vectors.

const { generateToken } = require('./lib/token');
const { authPlugins } = require('./lib/mysql2');
const challenge = require('./lib/challenge');

module.exports = { generateToken, authPlugins, answerChallenge: challenge.answer, Refused: challenge.Refused };
