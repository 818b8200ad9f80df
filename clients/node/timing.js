'use strict';
// What one token and one challenge answer cost in this process, credentials cached (issue
// 22's target: under 1 ms each), for the benchmark (tools/inside/bench.sh), which prints it
// beside the auth_awsiam_token subprocess measured in the same run. Not a test: a time is
// no pass or fail.
//
//   node clients/node/timing.js COUNT
//
// Credentials and region from the environment (the benchmark gives static keys: no STS
// call). The first token loads the credentials and is not counted. Prints
// `token_us=MEDIAN` and `answer_us=MEDIAN` over COUNT of each; the answer is to
// docs/protocol.rst's first test challenge, over a local socket (so the trust check
// passes), parse to answer text.

const path = require('path');
const { generateToken, answerChallenge } = require('./index');

const VECTORS = path.join(__dirname, '..', '..', 'plugin', 'auth_awsiam', 'core', 'testdata', 'protocol-vectors.json');

async function medianUs(count, op) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await op();
    times.push(Number(process.hrtime.bigint() - start));
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const ns = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return (ns / 1000).toFixed(1);
}

async function main() {
  const count = Number(process.argv[2]);
  const text = Buffer.from(require(VECTORS).challenges[0].text);
  const local = { localSocket: true, certificate: null, verified: false };
  await generateToken();
  console.log(`token_us=${await medianUs(count, () => generateToken())}`);
  console.log(`answer_us=${await medianUs(count, () => answerChallenge(text, 'localhost', 3306, local))}`);
}

main().catch((e) => {
  console.error(`timing: ${e.message}`);
  process.exit(1);
});
