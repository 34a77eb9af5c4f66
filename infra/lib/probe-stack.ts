// One region's probe: the function (UDP and TCP probes of the monitor config's targets, pushed to the
// monitor's ingest API), the EventBridge Scheduler schedule that invokes it, the vantage's ingest key, and
// two roles that can do nothing else: the function writes its own log group; the scheduler, assumed only
// for schedules of this stack's group, invokes this one function.
import { CfnOutput, Duration, RemovalPolicy, Stack, type App } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as scheduler from 'aws-cdk-lib/aws-scheduler'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import { BUNDLED_CONFIG_FILE, PROBE_HANDLER } from './probe-bundle.ts'
import { PROBE_ENV, type Fleet, type FleetProbe } from './fleet-config.ts'

/** Lambda's Node.js 24 runtime: supported until 2028-04-30 (Node.js 20 was deprecated on 2026-04-30, 22 follows on 2027-04-30). */
export const PROBE_RUNTIME = lambda.Runtime.NODEJS_24_X
export const PROBE_ARCHITECTURE = lambda.Architecture.ARM_64
/** Scheduler invokes the function asynchronously: these retries cover the invocation not being accepted. */
export const SCHEDULER_RETRY_ATTEMPTS = 2
/** Lambda retries an invocation that failed (a batch the monitor did not take) while it is younger than the schedule's period. */
export const FUNCTION_RETRY_ATTEMPTS = 2
/** The shortest event age Scheduler and Lambda accept, and Lambda's longest (Scheduler's is a day, its longest rate). */
const MIN_EVENT_AGE_SECONDS = 60
const LAMBDA_MAX_EVENT_AGE_SECONDS = 21_600
const SECONDS_PER_MINUTE = 60
/** 64 hex characters, as `openssl rand -hex 32` makes them; the monitor wants at least 32 (INGEST_KEY_MIN_CHARS). */
export const INGEST_KEY_CHARS = 64
const NOT_HEX = 'ghijklmnopqrstuvwxyz'

export function probeStackName(fleet: Fleet, probe: FleetProbe): string {
  return `${fleet.name}-probe-${probe.region}`
}

export function rateExpression(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`
}

/** `bundleDir` holds the bundled handler and its config (probe-bundle.ts); each stack makes its own asset of it. */
export function createProbeStack(app: App, fleet: Fleet, probe: FleetProbe, bundleDir: string): Stack {
  const every = rateExpression(fleet.scheduleMinutes)
  const stack = new Stack(app, probeStackName(fleet, probe), {
    env: { account: fleet.account, region: probe.region },
    description: `anycast-monitor probe ${probe.vantage} in ${probe.region}: DNS over UDP and TCP, ${every}, pushed to the monitor's ingest API`,
  })
  const periodSeconds = Math.max(MIN_EVENT_AGE_SECONDS, fleet.scheduleMinutes * SECONDS_PER_MINUTE)

  const ingestKey = new secretsmanager.Secret(stack, 'IngestKey', {
    description: `anycast-monitor: ingest key of vantage ${probe.vantage} (set it as ${probe.keyEnv} on the monitor too)`,
    generateSecretString: {
      passwordLength: INGEST_KEY_CHARS,
      excludePunctuation: true,
      excludeUppercase: true,
      excludeCharacters: NOT_HEX,
      includeSpace: false,
    },
    removalPolicy: RemovalPolicy.DESTROY,
  })

  const logGroup = new logs.LogGroup(stack, 'ProbeLogs', {
    retention: fleet.logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  })

  const functionRole = new iam.Role(stack, 'ProbeRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `anycast-monitor probe ${probe.vantage}: writes its log group, nothing else`,
    inlinePolicies: {
      'write-logs': new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })],
      }),
    },
  })

  const probeFunction = new lambda.Function(stack, 'Probe', {
    description: `anycast-monitor probe ${probe.vantage}: DNS over UDP and TCP, pushed to the monitor's ingest API`,
    runtime: PROBE_RUNTIME,
    architecture: PROBE_ARCHITECTURE,
    code: lambda.Code.fromAsset(bundleDir),
    handler: PROBE_HANDLER,
    memorySize: fleet.memoryMb,
    timeout: Duration.seconds(fleet.timeoutSeconds),
    role: functionRole,
    logGroup,
    environment: {
      [PROBE_ENV.config]: BUNDLED_CONFIG_FILE,
      [PROBE_ENV.vantage]: probe.vantage,
      [PROBE_ENV.ingestUrl]: fleet.monitorUrl,
      // Resolved by CloudFormation at deploy time (a dynamic reference): the template never holds the key.
      [probe.keyEnv]: ingestKey.secretValue.unsafeUnwrap(),
    },
    retryAttempts: FUNCTION_RETRY_ATTEMPTS,
    maxEventAge: Duration.seconds(Math.min(periodSeconds, LAMBDA_MAX_EVENT_AGE_SECONDS)),
  })

  const scheduleGroup = new scheduler.CfnScheduleGroup(stack, 'ProbeSchedules', {})
  const schedulerRole = new iam.Role(stack, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': scheduleGroup.attrArn } },
    }),
    description: `anycast-monitor probe ${probe.vantage}: lets its schedule invoke the probe function, nothing else`,
    inlinePolicies: {
      'invoke-probe': new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [probeFunction.functionArn] })],
      }),
    },
  })
  new scheduler.CfnSchedule(stack, 'ProbeSchedule', {
    description: `anycast-monitor probe ${probe.vantage}, ${every}`,
    groupName: scheduleGroup.ref,
    scheduleExpression: every,
    flexibleTimeWindow: { mode: 'OFF' },
    state: 'ENABLED',
    target: {
      arn: probeFunction.functionArn,
      roleArn: schedulerRole.roleArn,
      retryPolicy: { maximumRetryAttempts: SCHEDULER_RETRY_ATTEMPTS, maximumEventAgeInSeconds: periodSeconds },
    },
  })

  new CfnOutput(stack, 'ProbeFunctionName', { value: probeFunction.functionName, description: 'aws lambda invoke --function-name <this> runs one probe now' })
  new CfnOutput(stack, 'IngestKeySecretArn', { value: ingestKey.secretArn, description: `The key to set as ${probe.keyEnv} on the monitor` })
  new CfnOutput(stack, 'ProbeLogGroupName', { value: logGroup.logGroupName })
  return stack
}
