#!/usr/bin/env bash
# `cdk synth` of infra/ without the network: templates and the bundled probe into infra/cdk.out (or --output DIR;
# other cdk synth arguments pass through, e.g. -c fleet=PATH). The CDK CLI would otherwise fetch notices, check
# for a newer version, send telemetry, and ask STS (or the EC2 instance metadata service) for the default account.
set -euo pipefail
cd "$(dirname "$0")/../infra"
export CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true
# No credentials, so the default-account lookup finds none and calls nothing; the stacks need no account to synthesize.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
exec ../node_modules/.bin/cdk synth --no-notices --no-version-reporting "$@"
