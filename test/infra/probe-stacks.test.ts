// The probe stacks as CloudFormation sees them: one function and one schedule per configured region, each
// role allowed exactly what it uses, logs kept for the configured days. Synthesized from the shipped example
// fleet (three regions) with the real bundled probe.
import { Match, type Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actionsOf, exampleFleetInput, fleetOf, onlyResource, permissionStatements, synthesizeFleet, type SynthesizedFleet } from './fleet-fixture.ts'

const EXAMPLE_REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1']

describe('the probe stacks of the example fleet', () => {
  let synthesized: SynthesizedFleet
  let templates: Template[]
  beforeAll(() => {
    synthesized = synthesizeFleet(fleetOf())
    templates = synthesized.probes.map((stack) => synthesized.template(stack))
  })
  afterAll(() => synthesized.dispose())

  it('are one stack per configured region, each pinned to its region', () => {
    expect(synthesized.probes.map((stack) => [stack.stackName, stack.region])).toEqual(
      EXAMPLE_REGIONS.map((region) => [`anycast-monitor-probe-${region}`, region]),
    )
  })

  it('each hold one Node.js 24 arm64 function with its memory, a timeout over the probe budget, and its vantage in the environment', () => {
    synthesized.probes.forEach((stack, index) => {
      const template = templates[index] as Template
      template.resourceCountIs('AWS::Lambda::Function', 1)
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        // 1 target × 2 addresses × 2 transports: one round of 2000 ms + 5 s margin, one 15 s push, 5 s cold start.
        Timeout: 27,
        Environment: {
          Variables: {
            MONITOR_CONFIG: 'monitor.config.json',
            VANTAGE_ID: `aws-${stack.region}`,
            MONITOR_INGEST_URL: 'https://monitor.example.net',
            [`INGEST_KEY_AWS_${stack.region.toUpperCase().replaceAll('-', '_')}`]: {
              'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: onlyResource(template, 'AWS::SecretsManager::Secret').id }, ':SecretString:::}}']],
            },
          },
        },
      })
    })
  })

  it('each generate their vantage\'s ingest key: 64 hex characters in Secrets Manager, never in the template', () => {
    for (const template of templates) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, ExcludeUppercase: true, ExcludeCharacters: 'ghijklmnopqrstuvwxyz', IncludeSpace: false },
      })
      expect(JSON.stringify(template.toJSON())).not.toMatch(/SecretString"\s*:\s*"/)
    }
  })

  it('each invoke the function from one EventBridge Scheduler schedule at the configured rate, with a retry policy', () => {
    for (const template of templates) {
      template.resourceCountIs('AWS::Scheduler::Schedule', 1)
      const probe = onlyResource(template, 'AWS::Lambda::Function')
      const schedulerRole = roleAssumedBy(template, 'scheduler.amazonaws.com')
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        GroupName: { Ref: onlyResource(template, 'AWS::Scheduler::ScheduleGroup').id },
        Target: {
          Arn: { 'Fn::GetAtt': [probe.id, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [schedulerRole, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        },
      })
      // Scheduler invokes asynchronously: a failed run (a batch the monitor did not take) is retried by Lambda
      // until the next scheduled run is due.
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: probe.id },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 60,
      })
    }
  })

  it('let the function write its own log group and nothing else', () => {
    for (const template of templates) {
      const logGroup = onlyResource(template, 'AWS::Logs::LogGroup')
      const role = roleAssumedBy(template, 'lambda.amazonaws.com')
      expect(inlineStatementsOf(template, role)).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroup.id, 'Arn'] } },
      ])
      expect(onlyResource(template, 'AWS::Lambda::Function').properties).toMatchObject({ Role: { 'Fn::GetAtt': [role, 'Arn'] } })
    }
  })

  it('let only this stack\'s schedule group, in this account, assume the scheduler role, which may invoke this one function', () => {
    for (const template of templates) {
      const role = roleAssumedBy(template, 'scheduler.amazonaws.com')
      const group = onlyResource(template, 'AWS::Scheduler::ScheduleGroup')
      expect(template.findResources('AWS::IAM::Role')[role]?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': { 'Fn::GetAtt': [group.id, 'Arn'] } } },
        },
      ])
      expect(inlineStatementsOf(template, role)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [onlyResource(template, 'AWS::Lambda::Function').id, 'Arn'] } },
      ])
    }
  })

  it('grant nothing else: two roles, no managed or separate policies, no wildcard action or resource', () => {
    for (const template of templates) {
      template.resourceCountIs('AWS::IAM::Role', 2)
      template.resourceCountIs('AWS::IAM::Policy', 0)
      template.resourceCountIs('AWS::IAM::ManagedPolicy', 0)
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() })
      const statements = permissionStatements(template)
      expect(statements.map((statement) => statement.Effect)).toEqual(['Allow', 'Allow'])
      expect(statements.flatMap(actionsOf).filter((action) => action.includes('*'))).toEqual([])
      expect(JSON.stringify(statements.map((statement) => statement.Resource))).not.toContain('"*"')
    }
  })

  it('keep the function\'s logs for the configured 30 days', () => {
    for (const template of templates) {
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 })
      template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: onlyResource(template, 'AWS::Logs::LogGroup').id } } })
    }
  })

  it('look nothing up and report nothing: no context lookups, no CDK metadata resource', () => {
    for (const template of templates) template.resourceCountIs('AWS::CDK::Metadata', 0)
    for (const stack of synthesized.probes) expect(stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:missing')).toEqual([])
  })
})

describe('a fleet with another schedule, memory and retention', () => {
  it('sets them in every region: rate(5 minutes), events kept 300 s, 128 MB, logs 7 days', () => {
    const synthesized = synthesizeFleet(
      fleetOf(exampleFleetInput({ scheduleMinutes: 5, memoryMb: 128, logRetentionDays: 7, probes: [{ region: 'sa-east-1', vantage: 'aws-us-east-1' }] })),
    )
    try {
      expect(synthesized.probes.map((stack) => stack.region)).toEqual(['sa-east-1'])
      const template = synthesized.template(synthesized.probes[0]!)
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(5 minutes)',
        Target: { RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 } },
      })
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 300 })
      template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 128 })
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 })
    } finally {
      synthesized.dispose()
    }
  })
})

describe('a fleet probing once a day', () => {
  it('keeps a failed run a day in Scheduler, and 6 hours (its most) in Lambda', () => {
    const synthesized = synthesizeFleet(fleetOf(exampleFleetInput({ scheduleMinutes: 1440, probes: [{ region: 'us-east-1', vantage: 'aws-us-east-1' }] })))
    try {
      const template = synthesized.template(synthesized.probes[0]!)
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1440 minutes)', Target: { RetryPolicy: { MaximumEventAgeInSeconds: 86_400 } } })
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 21_600 })
    } finally {
      synthesized.dispose()
    }
  })
})

function roleAssumedBy(template: Template, service: string): string {
  const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([, role]) =>
    (role.Properties.AssumeRolePolicyDocument.Statement as { Principal?: { Service?: string } }[]).some((statement) => statement.Principal?.Service === service),
  )
  if (roles.length !== 1) throw new Error(`expected one role assumed by ${service}, found ${roles.length}`)
  return roles[0]![0]
}

function inlineStatementsOf(template: Template, role: string): unknown[] {
  const policies = (template.findResources('AWS::IAM::Role')[role]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]
  return policies.flatMap((policy) => policy.PolicyDocument.Statement)
}
