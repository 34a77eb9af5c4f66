// End-to-end check of the userspace delay link (lab/tap-relay.py): real
// namespaces, real TAP devices, a Node UDP echo across them. Needs root;
// everything it creates carries this run's pid and is removed in afterAll.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addressOf,
  createDelayedLink,
  createNamespace,
  deleteNamespace,
  destroyDelayedLink,
  getLinkStatus,
  isProcessAlive,
  labUnavailableReason,
  listNamespaces,
  setLinkImpairment,
  stopAllLabProcesses,
  sweepStaleNamespaces,
  type DelayedLink,
} from '../../lab/relay-link.ts'
import { measureUdpRtt, startUdpEchoServer, stopUdpEchoServer, summarizeRtt, type UdpEchoServer } from '../../lab/probes.ts'

const RUN_PREFIX = `amrly-test-${process.pid}`
const CLIENT_NS = `${RUN_PREFIX}-cli`
const SERVER_NS = `${RUN_PREFIX}-srv`
const CLIENT_CIDR = '10.252.0.1/24'
const SERVER_CIDR = '10.252.0.2/24'
const WARMUP_PROBES = 3

const skipReason = labUnavailableReason()
if (skipReason) console.warn(`skipping tap relay lab test: ${skipReason}`)

describe.skipIf(skipReason !== undefined)(`tap relay delayed link${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let link: DelayedLink | undefined
  let echo: UdpEchoServer | undefined
  const startedPids: number[] = []

  async function medianRttMs(count: number, intervalMs: number): Promise<number> {
    const run = await measureUdpRtt(CLIENT_NS, addressOf(SERVER_CIDR), echo!.port, { count: count + WARMUP_PROBES, intervalMs, waitMs: 500 })
    const summary = summarizeRtt(run, WARMUP_PROBES)
    expect(summary.count).toBeGreaterThanOrEqual(count - 2)
    return summary.medianMs
  }

  beforeAll(async () => {
    await sweepStaleNamespaces(['amrly-test', 'amrly-relay'])
    await createNamespace(CLIENT_NS)
    await createNamespace(SERVER_NS)
    link = await createDelayedLink({
      namespaceA: CLIENT_NS,
      namespaceB: SERVER_NS,
      addressA: CLIENT_CIDR,
      addressB: SERVER_CIDR,
      delayMs: 10,
      relayNamespace: `${RUN_PREFIX}-rly`,
      seed: 1,
    })
    startedPids.push(link.relayPid)
    echo = await startUdpEchoServer(SERVER_NS, addressOf(SERVER_CIDR))
    startedPids.push(echo.process.pid!)
  })

  afterAll(async () => {
    // Reverse order of creation; each step runs even if an earlier one threw.
    const failures: unknown[] = []
    for (const step of [
      () => (echo ? stopUdpEchoServer(echo) : undefined),
      () => (link ? destroyDelayedLink(link) : undefined),
      () => deleteNamespace(SERVER_NS),
      () => deleteNamespace(CLIENT_NS),
      // Safety net: any probe still running after a failed assertion.
      () => stopAllLabProcesses(),
    ]) {
      await Promise.resolve()
        .then(step)
        .catch((error: unknown) => failures.push(error))
    }
    expect(failures).toEqual([])
    expect(await listNamespaces(RUN_PREFIX)).toEqual([])
    expect(startedPids.filter(isProcessAlive)).toEqual([])
  })

  it('adds the configured delay: 10 ms each way gives a ~20 ms UDP RTT', async () => {
    const median = await medianRttMs(25, 20)
    expect(median).toBeGreaterThanOrEqual(19)
    expect(median).toBeLessThanOrEqual(26)
  })

  it('applies a delay change at runtime', async () => {
    const status = await setLinkImpairment(link!, { delayMs: 0 })
    expect(status.aToB.delayMs).toBe(0)
    expect(status.bToA.delayMs).toBe(0)
    expect(await medianRttMs(25, 10)).toBeLessThan(5)
  })

  it('drops everything at 100% loss, and counts the drops', async () => {
    await setLinkImpairment(link!, { lossPct: 100, resetStats: true })
    const run = await measureUdpRtt(CLIENT_NS, addressOf(SERVER_CIDR), echo!.port, { count: 10, intervalMs: 10, waitMs: 300 })
    expect(run.sent).toBe(10)
    expect(run.samples).toEqual([])
    const status = await getLinkStatus(link!)
    expect(status.aToB.droppedLoss).toBeGreaterThanOrEqual(10)
    expect(status.bToA.forwarded).toBe(0)
  })

  it('refuses an invalid change and keeps the previous settings', async () => {
    await expect(setLinkImpairment(link!, { lossPct: 150 })).rejects.toThrow(/loss_pct/)
    expect((await getLinkStatus(link!)).aToB.lossPct).toBe(100)
  })
})
