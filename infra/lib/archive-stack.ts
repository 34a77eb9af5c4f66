// The central stack: the Timestream database and table the monitor archives observations to (its config's
// archive block), with their retention, and a managed policy that lets the monitor use that one table. The
// monitor runs wherever it runs; attach the policy to the role or user whose credentials it has.
// Timestream for LiveAnalytics is closed to new AWS customers since 2025-06-20: only an account that
// already has it can deploy this stack.
import { CfnOutput, RemovalPolicy, Stack, Validations, type App } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as timestream from 'aws-cdk-lib/aws-timestream'
import type { Fleet, FleetArchive } from './fleet-config.ts'

export function archiveStackName(fleet: Fleet): string {
  return `${fleet.name}-archive`
}

export function createArchiveStack(app: App, fleet: Fleet, archive: FleetArchive): Stack {
  const stack = new Stack(app, archiveStackName(fleet), {
    env: { account: fleet.account, region: archive.region },
    description: `anycast-monitor archive: Timestream ${archive.database}.${archive.table}, ${archive.memoryRetentionHours} h in memory, ${archive.magneticRetentionDays} days on magnetic storage`,
  })
  const database = new timestream.CfnDatabase(stack, 'Database', { databaseName: archive.database })
  const table = new timestream.CfnTable(stack, 'Table', {
    databaseName: archive.database,
    tableName: archive.table,
    retentionProperties: {
      MemoryStoreRetentionPeriodInHours: String(archive.memoryRetentionHours),
      MagneticStoreRetentionPeriodInDays: String(archive.magneticRetentionDays),
    },
  })
  table.addResourceDependency(database)
  // The archive outlives the stack: deleting the stack leaves the data where it is.
  database.applyRemovalPolicy(RemovalPolicy.RETAIN)
  table.applyRemovalPolicy(RemovalPolicy.RETAIN)

  const access = new iam.ManagedPolicy(stack, 'MonitorArchiveAccess', {
    description: `anycast-monitor: write and query ${archive.database}.${archive.table}, nothing else`,
    statements: [
      new iam.PolicyStatement({ sid: 'WriteAndQueryTheTable', actions: ['timestream:WriteRecords', 'timestream:Select'], resources: [table.attrArn] }),
      // DescribeEndpoints has no resource type (Service Authorization Reference): it is granted on "*" or not at all.
      new iam.PolicyStatement({ sid: 'FindTheEndpoints', actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
    ],
  })

  Validations.of(stack).acknowledge({
    id: 'CloudFormation-Validate::W3697',
    reason: 'Timestream for LiveAnalytics takes no new customers since 2025-06-20: this stack is for accounts that have it (infra/README.md)',
  })

  new CfnOutput(stack, 'TableArn', { value: table.attrArn })
  new CfnOutput(stack, 'MonitorArchivePolicyArn', { value: access.managedPolicyArn, description: 'Attach to the principal the monitor runs as' })
  return stack
}
