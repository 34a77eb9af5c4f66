// The central stack: the Timestream database and table of the monitor config's archive, with the fleet's
// retention, kept when the stack goes, and the one policy the monitor needs to use that table.
import type { Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actionsOf, exampleFleetInput, fleetOf, onlyResource, permissionStatements, synthesizeFleet, type SynthesizedFleet } from './fleet-fixture.ts'

describe('the archive stack of the example fleet', () => {
  let synthesized: SynthesizedFleet
  let template: Template
  beforeAll(() => {
    synthesized = synthesizeFleet(fleetOf(exampleFleetInput({ timestream: { memoryRetentionHours: 12, magneticRetentionDays: 730 } })))
    template = synthesized.template(synthesized.archive!)
  })
  afterAll(() => synthesized.dispose())

  it('is in the archive\'s region', () => {
    expect([synthesized.archive?.stackName, synthesized.archive?.region]).toEqual(['anycast-monitor-archive', 'eu-central-1'])
  })

  it('creates the database and table the monitor config names, with the memory and magnetic retention set', () => {
    template.hasResourceProperties('AWS::Timestream::Database', { DatabaseName: 'anycast_monitor' })
    template.hasResourceProperties('AWS::Timestream::Table', {
      DatabaseName: 'anycast_monitor',
      TableName: 'observations',
      RetentionProperties: { MemoryStoreRetentionPeriodInHours: '12', MagneticStoreRetentionPeriodInDays: '730' },
    })
    template.hasResource('AWS::Timestream::Table', { DependsOn: [onlyResource(template, 'AWS::Timestream::Database').id] })
  })

  it('keeps the data when the stack is deleted', () => {
    template.hasResource('AWS::Timestream::Database', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' })
    template.hasResource('AWS::Timestream::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' })
  })

  it('lets the monitor write and query that table, and find the endpoints (the one action with no resource type)', () => {
    const table = onlyResource(template, 'AWS::Timestream::Table')
    expect(permissionStatements(template)).toEqual([
      { Sid: 'WriteAndQueryTheTable', Effect: 'Allow', Action: ['timestream:WriteRecords', 'timestream:Select'], Resource: { 'Fn::GetAtt': [table.id, 'Arn'] } },
      { Sid: 'FindTheEndpoints', Effect: 'Allow', Action: 'timestream:DescribeEndpoints', Resource: '*' },
    ])
    expect(permissionStatements(template).flatMap(actionsOf).filter((action) => action.includes('*'))).toEqual([])
  })
})

describe('a fleet without a timestream block', () => {
  it('has no archive stack: the table exists already, or the monitor archives nowhere', () => {
    const { timestream: _left, ...withoutTimestream } = exampleFleetInput()
    const fleet = fleetOf(withoutTimestream)
    expect(fleet.archive).toBeNull()
    const synthesized = synthesizeFleet(fleet)
    try {
      expect(synthesized.archive).toBeNull()
      expect(synthesized.probes).toHaveLength(3)
    } finally {
      synthesized.dispose()
    }
  })
})
