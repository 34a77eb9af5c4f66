// Schemas for what crosses a process or network boundary: a probe plan sent to a vantage, and the
// observations it sends back. A vantage's output is input to the monitor: it is validated, never trusted.
import { z } from 'zod'

const TransportSchema = z.enum(['udp', 'tcp'])

export const ProbeTaskSchema = z.strictObject({
  target: z.string().min(1),
  address: z.union([z.ipv4(), z.ipv6()]),
  port: z.number().int().min(1).max(65_535),
  transport: TransportSchema,
  qname: z.string().min(1).max(254),
  qtype: z.enum(['SOA', 'NS', 'A', 'AAAA', 'TXT']),
  timeoutMs: z.number().int().min(1).max(60_000),
  udpPayloadBytes: z.number().int().min(512).max(4096),
  identityFallback: z.boolean(),
})

export const ProbePlanSchema = z.strictObject({
  vantage: z.string().min(1),
  cycleStartedAt: z.number().int().nonnegative(),
  tasks: z.array(ProbeTaskSchema).max(10_000),
  concurrency: z.number().int().min(1).max(1024),
})

const IdentitySchema = z.strictObject({
  source: z.enum(['nsid', 'hostname.bind', 'id.server']),
  hex: z.string().regex(/^([0-9a-f]{2})*$/),
  text: z.string().nullable(),
})

export const ObservationSchema = z.strictObject({
  observedAt: z.number().int().nonnegative(),
  vantage: z.string().min(1),
  target: z.string().min(1),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  qname: z.string(),
  transport: TransportSchema,
  outcome: z.enum(['ok', 'refused', 'servfail', 'rcode-error', 'timeout', 'malformed', 'mismatch', 'network-error']),
  rcode: z.number().int().min(0).max(4095).nullable(),
  rttMs: z.number().nonnegative().nullable(),
  connectMs: z.number().nonnegative().nullable(),
  identity: IdentitySchema.nullable(),
  site: z.string().optional(),
  retriedOverTcp: z.boolean(),
  ignoredReplies: z.number().int().nonnegative(),
  error: z.string().nullable(),
})

export const ObservationListSchema = z.array(ObservationSchema)
