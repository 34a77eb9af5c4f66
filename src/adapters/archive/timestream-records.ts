// How an observation becomes a Timestream multi-measure record. One record per observation, measure name
// 'observation'. Dimensions say which series it belongs to: target, vantage, transport, address, and site
// when the answer named one (Timestream takes no empty dimension value, so a probe without an answer has
// no site dimension). Measures carry what was seen; a null (no RTT, no RCODE) is left out, as
// multi-measure records allow. Time is the probe's start in ms.
import type { _Record, Dimension, MeasureValue } from '@aws-sdk/client-timestream-write'
import type { Observation } from '../../core/model.ts'

export const OBSERVATION_MEASURE = 'observation'
/** Timestream's limit on records per WriteRecords call. */
export const MAX_RECORDS_PER_WRITE = 100

/** Column names in the table: dimensions, then measures. */
export const COLUMN = {
  target: 'target',
  vantage: 'vantage',
  transport: 'transport',
  address: 'address',
  site: 'site',
  outcome: 'outcome',
  rttMs: 'rtt_ms',
  connectMs: 'connect_ms',
  rcode: 'rcode',
  identity: 'identity',
  identityHex: 'identity_hex',
} as const

/** What every record of a WriteRecords call shares, sent once. */
export const COMMON_ATTRIBUTES: _Record = { MeasureName: OBSERVATION_MEASURE, MeasureValueType: 'MULTI', TimeUnit: 'MILLISECONDS' }

export function recordOf(observation: Observation): _Record {
  const dimensions: Dimension[] = [
    dimension(COLUMN.target, observation.target),
    dimension(COLUMN.vantage, observation.vantage),
    dimension(COLUMN.transport, observation.transport),
    dimension(COLUMN.address, observation.address),
  ]
  if (observation.site !== undefined && observation.site !== '') dimensions.push(dimension(COLUMN.site, observation.site))
  const measures: MeasureValue[] = [{ Name: COLUMN.outcome, Value: observation.outcome, Type: 'VARCHAR' }]
  if (observation.rttMs !== null) measures.push({ Name: COLUMN.rttMs, Value: String(observation.rttMs), Type: 'DOUBLE' })
  if (observation.connectMs !== null) measures.push({ Name: COLUMN.connectMs, Value: String(observation.connectMs), Type: 'DOUBLE' })
  if (observation.rcode !== null) measures.push({ Name: COLUMN.rcode, Value: String(observation.rcode), Type: 'BIGINT' })
  if (observation.identity?.text) measures.push({ Name: COLUMN.identity, Value: observation.identity.text, Type: 'VARCHAR' })
  if (observation.identity?.hex) measures.push({ Name: COLUMN.identityHex, Value: observation.identity.hex, Type: 'VARCHAR' })
  return { Dimensions: dimensions, Time: String(Math.trunc(observation.observedAt)), MeasureValues: measures }
}

function dimension(name: string, value: string): Dimension {
  return { Name: name, Value: value, DimensionValueType: 'VARCHAR' }
}
