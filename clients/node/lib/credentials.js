'use strict';
// AWS credentials loaded once per process (issue 22): one provider per profile, from the
// AWS SDK's node provider chain, which memoizes what it loaded and loads again when the
// credentials near their expiry. Concurrent connections await the same load: one
// AssumeRole of a role_arn profile, not one per connection.

const { fromNodeProviderChain } = require('@aws-sdk/credential-providers');

const providers = new Map();

const NO_CREDENTIALS_HELP = 'no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, '
  + 'the AWS profile of AUTH_AWSIAM_PROFILE or AWS_PROFILE incl. SSO and role chains, web identity, ECS, '
  + "EC2 instance metadata). Run 'aws sso login' or 'aws configure', or set AWS_PROFILE";

function provider(profile) {
  const key = profile || '';
  if (!providers.has(key)) providers.set(key, fromNodeProviderChain(profile ? { profile } : {}));
  return providers.get(key);
}

async function credentials(profile) {
  try {
    return await provider(profile)();
  } catch (e) {
    if (e && e.name === 'CredentialsProviderError' && /Could not load credentials/.test(e.message)) {
      throw new Error(NO_CREDENTIALS_HELP);
    }
    throw e;
  }
}

// Forgets every provider and what it loaded (tests; a process that changed accounts).
const forget = () => providers.clear();

module.exports = { credentials, forget, NO_CREDENTIALS_HELP };
