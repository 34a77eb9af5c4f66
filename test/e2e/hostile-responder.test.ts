// The real CLI, as a child process, against a DNS server on loopback that misbehaves on purpose.
// Whatever comes back, the probe must print exactly one JSON observation, exit by itself with 0 (an
// answer was accepted) or 1 (none was), and finish within its timeout plus a second.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Observation } from '../../src/core/model.ts'
import { chaosTxtReply, latin1, refusedReply, soaReply, soaReplyLayout, type ReplyOptions } from '../support/dns-replies.ts'
import {
  answer,
  concat,
  dribble,
  framed,
  pause,
  send,
  startHostileResponder,
  type HostileBehaviour,
  type HostileStep,
  type ReceivedQuery,
} from '../support/hostile-responder.ts'
import { mulberry32, randomBytes } from '../support/seeded-random.ts'

const TIMEOUT_MS = 1000
const GRACE_MS = 1000
/** A hung child is killed (by its own PID) long after any assertion would have failed. */
const KILL_AFTER_MS = 15_000
const EXIT_ANSWERED = 0
const EXIT_NO_ANSWER = 1
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = 'bin/anycast-monitor.js'
const NODE_NSID = 'fra1.lab'
const RANDOM_BYTES_SEED = 0x5eed
const RCODE_REFUSED = 5
const RCODE_BADVERS = 16
const STACK_FRAME = /^\s+at .+[:(]\d+/m
const RAW_ESC_OR_NUL = /[\x1b\x00]/

interface CliRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Epoch ms at which the process exited: comparable with observation.observedAt. */
  exitedAt: number
}

function runCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let exitedAt = 0
    const guard = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', reject)
    child.on('exit', () => {
      exitedAt = Date.now()
    })
    child.on('close', (exitCode, signal) => {
      clearTimeout(guard)
      resolve({ exitCode, signal, exitedAt, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') })
    })
  })
}

function probeArgs(port: number, transport: 'udp' | 'tcp', format: 'json' | 'human'): string[] {
  const args = ['probe', '127.0.0.1', '--port', String(port), '--transport', transport, '--timeout', String(TIMEOUT_MS)]
  return format === 'json' ? [...args, '--json'] : args
}

function onlyJsonObject(stdout: string): Observation {
  expect(stdout.endsWith('\n') && stdout.indexOf('\n') === stdout.length - 1, `stdout is one line: ${stdout}`).toBe(true)
  const parsed: unknown = JSON.parse(stdout)
  expect(parsed).toBeTypeOf('object')
  expect(Array.isArray(parsed)).toBe(false)
  return parsed as Observation
}

/** The promises every run keeps, whatever the responder did. */
function expectOrderlyExit(run: CliRun, observation: Observation): void {
  expect(run.signal, 'the process exited by itself').toBeNull()
  expect(run.stderr).not.toMatch(STACK_FRAME)
  expect(run.exitCode).toBe(observation.rcode === null ? EXIT_NO_ANSWER : EXIT_ANSWERED)
  expect(run.exitedAt - observation.observedAt).toBeLessThan(TIMEOUT_MS + GRACE_MS)
}

interface HostileProbe {
  observation: Observation
  exitCode: number | null
  /** What the JSON run asked, in order of arrival. */
  queries: readonly ReceivedQuery[]
  /** The same probe run again for the human (dig-like) output, when asked for. */
  human: CliRun | null
}

async function probeHostile(
  behaviour: HostileBehaviour,
  options: { transport?: 'udp' | 'tcp'; alsoHuman?: boolean } = {},
): Promise<HostileProbe> {
  const transport = options.transport ?? 'udp'
  const responder = await startHostileResponder(behaviour)
  try {
    const run = await runCli(probeArgs(responder.port, transport, 'json'))
    const queries = [...responder.queries()]
    const human = options.alsoHuman ? await runCli(probeArgs(responder.port, transport, 'human')) : null
    const observation = onlyJsonObject(run.stdout)
    expectOrderlyExit(run, observation)
    return { observation, exitCode: run.exitCode, queries, human }
  } finally {
    await responder.stop()
  }
}

// ---- behaviours: what the responder sends to the identity (IN) query; CHAOS queries are refused.

function onIdentityQuery(steps: (query: ReceivedQuery) => Iterable<HostileStep>): HostileBehaviour {
  return (query) => (query.question.class === 'IN' ? steps(query) : answer(query, refusedReply(query)))
}

const replyWith = (build: (query: ReceivedQuery) => Uint8Array): HostileBehaviour =>
  onIdentityQuery((query) => answer(query, build(query)))

const cut = (bytes: Uint8Array, length: number): Uint8Array => bytes.slice(0, length)

/** Replaces the one-byte root name at `at` with a compression pointer to `target` (offsets after the patch). */
function pointerInsteadOfRoot(bytes: Uint8Array, at: number, target: number): Uint8Array {
  expect(bytes[at], 'a root name to replace').toBe(0)
  return concat(bytes.subarray(0, at), Uint8Array.of(0xc0 | (target >> 8), target & 0xff), bytes.subarray(at + 1))
}

const withNsid: ReplyOptions = { nsid: NODE_NSID }
const nsidHex = (text: string): string => Buffer.from(latin1(text)).toString('hex')

describe.concurrent('probe CLI against a hostile responder on loopback', () => {
  describe('replies that do not decode end as malformed, exit 1', () => {
    it('reports malformed, not a crash, when the reply is random bytes', async () => {
      const garbage = randomBytes(mulberry32(RANDOM_BYTES_SEED), 64)
      const { observation, exitCode } = await probeHostile(onIdentityQuery(() => [send(garbage)]))
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, identity: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports malformed when the reply is cut inside the header', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => cut(soaReply(query, withNsid), 7)))
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports malformed when the reply is cut inside the question', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => cut(soaReply(query, withNsid), 12 + 2)))
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports malformed when the reply is cut inside the answer record', async () => {
      const { observation, exitCode } = await probeHostile(
        replyWith((query) => {
          const { answerStart, optStart } = soaReplyLayout(query, withNsid)
          return cut(soaReply(query, withNsid), Math.floor((answerStart + optStart) / 2))
        }),
      )
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports malformed, not a shortened NSID, when the reply is cut inside the NSID option', async () => {
      const { observation, exitCode } = await probeHostile(
        replyWith((query) => cut(soaReply(query, withNsid), soaReplyLayout(query, withNsid).length - 3)),
      )
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, identity: null, ignoredReplies: 1 })
      expect(observation.error).toMatch(/truncated/)
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports malformed when a compression pointer points at itself', async () => {
      const { observation, exitCode } = await probeHostile(
        replyWith((query) => {
          const { answerStart } = soaReplyLayout(query, withNsid)
          return pointerInsteadOfRoot(soaReply(query, withNsid), answerStart, answerStart)
        }),
      )
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, ignoredReplies: 1 })
      expect(observation.error).toMatch(/bad pointer/)
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports malformed when a compression pointer points forward', async () => {
      const OWNER_POINTER_BYTES = 2
      const TYPE_CLASS_TTL_RDLENGTH_BYTES = 10
      const { observation, exitCode } = await probeHostile(
        replyWith((query) => {
          const { answerStart } = soaReplyLayout(query, withNsid)
          // At the SOA's MNAME, a real name, only ahead of the pointer.
          const mname = answerStart + OWNER_POINTER_BYTES + TYPE_CLASS_TTL_RDLENGTH_BYTES
          return pointerInsteadOfRoot(soaReply(query, withNsid), answerStart, mname)
        }),
      )
      expect(observation).toMatchObject({ outcome: 'malformed', rcode: null, ignoredReplies: 1 })
      expect(observation.error).toMatch(/bad pointer/)
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })
  })

  describe('replies that do not answer our query are ignored, and end as mismatch, exit 1', () => {
    it('ignores a reply with another id', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => soaReply(query, { ...withNsid, id: query.id ^ 0xffff })))
      expect(observation).toMatchObject({ outcome: 'mismatch', rcode: null, identity: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('ignores a reply that echoes another name', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => soaReply(query, { ...withNsid, question: { name: 'example' } })))
      expect(observation).toMatchObject({ outcome: 'mismatch', rcode: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('ignores a reply that echoes another type', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => soaReply(query, { ...withNsid, question: { type: 'A' } })))
      expect(observation).toMatchObject({ outcome: 'mismatch', rcode: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('ignores a reply that echoes another class', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => soaReply(query, { ...withNsid, question: { class: 'CH' } })))
      expect(observation).toMatchObject({ outcome: 'mismatch', rcode: null, ignoredReplies: 1 })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('ignores its own query echoed back with QR=0', async () => {
      const { observation, exitCode } = await probeHostile(onIdentityQuery((query) => [send(query.bytes)]))
      expect(observation).toMatchObject({ outcome: 'mismatch', rcode: null, ignoredReplies: 1 })
      expect(observation.error).toMatch(/QR=0/)
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('keeps terminal escapes and NUL from a hostile question name out of the human output', async () => {
      const hostileName = '\x1b[2J\x1b]0;pwned\x07\x00x'
      const { observation, exitCode, human } = await probeHostile(
        replyWith((query) => soaReply(query, { ...withNsid, question: { name: hostileName } })),
        { alsoHuman: true },
      )
      expect(observation).toMatchObject({ outcome: 'mismatch', rcode: null })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
      expect(human?.stdout).toMatch(/outcome: mismatch/)
      expect(human?.stdout).not.toMatch(RAW_ESC_OR_NUL)
      expect(human?.stdout).toContain('\\x1b[2J')
    })
  })

  describe('the right answer wins over noise around it, exit 0', () => {
    it('accepts the right answer that follows a reply with another id, counting the ignored one', async () => {
      const { observation, exitCode } = await probeHostile(
        onIdentityQuery((query) => [
          ...answer(query, soaReply(query, { nsid: 'spoofed', id: query.id ^ 0x0101 })),
          pause(20),
          ...answer(query, soaReply(query, withNsid)),
        ]),
      )
      expect(observation).toMatchObject({ outcome: 'ok', rcode: 0, identity: { source: 'nsid', text: NODE_NSID } })
      expect(observation.ignoredReplies).toBeGreaterThanOrEqual(1)
      expect(exitCode).toBe(EXIT_ANSWERED)
    })

    it('retries a truncated UDP answer over TCP and takes the identity from the TCP answer', async () => {
      const { observation, exitCode, queries } = await probeHostile(
        onIdentityQuery((query) =>
          query.transport === 'udp'
            ? answer(query, soaReply(query, { nsid: 'udp-node', truncated: true }))
            : answer(query, soaReply(query, { nsid: 'tcp-node' })),
        ),
      )
      expect(observation).toMatchObject({
        outcome: 'ok',
        transport: 'udp',
        retriedOverTcp: true,
        identity: { source: 'nsid', text: 'tcp-node', hex: nsidHex('tcp-node') },
      })
      expect(queries.map((query) => query.transport)).toEqual(['udp', 'tcp'])
      expect(exitCode).toBe(EXIT_ANSWERED)
    })

    it('reassembles a TCP answer written one byte at a time', async () => {
      const { observation, exitCode } = await probeHostile(
        onIdentityQuery((query) => dribble(framed(soaReply(query, withNsid)), 1, 1)),
        { transport: 'tcp' },
      )
      expect(observation).toMatchObject({ outcome: 'ok', transport: 'tcp', identity: { source: 'nsid', text: NODE_NSID } })
      expect(observation.connectMs).not.toBeNull()
      expect(exitCode).toBe(EXIT_ANSWERED)
    })

    it('skips a wrong-id answer that shares one TCP write with the right answer', async () => {
      const { observation, exitCode } = await probeHostile(
        onIdentityQuery((query) => [
          send(concat(framed(soaReply(query, { nsid: 'spoofed', id: query.id ^ 0x0101 })), framed(soaReply(query, withNsid)))),
        ]),
        { transport: 'tcp' },
      )
      expect(observation).toMatchObject({ outcome: 'ok', ignoredReplies: 1, identity: { source: 'nsid', text: NODE_NSID } })
      expect(exitCode).toBe(EXIT_ANSWERED)
    })
  })

  describe('nothing usable before the deadline ends as timeout, exit 1', () => {
    it('gives up at the deadline on a TCP length prefix of 65535 followed by a slow drip', async () => {
      const { observation, exitCode } = await probeHostile(
        onIdentityQuery(function* () {
          yield send([0xff, 0xff])
          // Forever, until the probe hangs up or the responder stops.
          for (;;) {
            yield pause(50)
            yield send([0x00])
          }
        }),
        { transport: 'tcp' },
      )
      expect(observation).toMatchObject({ outcome: 'timeout', rcode: null })
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports timeout when UDP stays silent', async () => {
      const { observation, exitCode, queries } = await probeHostile(() => [])
      expect(observation).toMatchObject({ outcome: 'timeout', rcode: null, ignoredReplies: 0 })
      expect(queries).toHaveLength(1)
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })

    it('reports timeout when a TCP connection is accepted but never answered', async () => {
      const { observation, exitCode } = await probeHostile(() => [], { transport: 'tcp' })
      expect(observation).toMatchObject({ outcome: 'timeout', rcode: null, ignoredReplies: 0 })
      expect(observation.connectMs).not.toBeNull()
      expect(exitCode).toBe(EXIT_NO_ANSWER)
    })
  })

  describe('identity bytes are data, never markup or terminal control', () => {
    it('keeps an HTML NSID verbatim as text, since it is printable ASCII, in parseable JSON', async () => {
      const html = '<script>alert(1)</script>'
      const { observation, exitCode } = await probeHostile(replyWith((query) => soaReply(query, { nsid: html })))
      expect(observation).toMatchObject({ outcome: 'ok', identity: { source: 'nsid', text: html, hex: nsidHex(html) } })
      expect(exitCode).toBe(EXIT_ANSWERED)
    })

    it('withholds the text of an NSID with ANSI escapes and NUL, keeping its exact hex and a clean human output', async () => {
      const hostile = '\x1b[31mfra1\x00\x1b[0m'
      const { observation, exitCode, human } = await probeHostile(replyWith((query) => soaReply(query, { nsid: hostile })), {
        alsoHuman: true,
      })
      expect(observation).toMatchObject({ outcome: 'ok', identity: { source: 'nsid', text: null, hex: nsidHex(hostile) } })
      expect(exitCode).toBe(EXIT_ANSWERED)
      expect(human?.exitCode).toBe(EXIT_ANSWERED)
      expect(human?.stdout).toContain(`0x${nsidHex(hostile)}`)
      expect(human?.stdout).not.toMatch(RAW_ESC_OR_NUL)
    })

    it('reports ok without identity when the answer has no NSID and both CHAOS names are refused', async () => {
      const { observation, exitCode, human, queries } = await probeHostile(
        replyWith((query) => soaReply(query)),
        { alsoHuman: true },
      )
      expect(observation).toMatchObject({ outcome: 'ok', rcode: 0, identity: null })
      const asked = queries.map((query) => `${query.question.class} ${query.question.name}`)
      expect(asked).toEqual(['IN .', 'CH hostname.bind', 'CH id.server'])
      expect(human?.stdout).toContain('identity: none (answered without identity)')
      expect(exitCode).toBe(EXIT_ANSWERED)
    })

    it('takes the identity from CHAOS hostname.bind when the answer carries no NSID', async () => {
      const { observation, exitCode } = await probeHostile((query) =>
        query.question.class === 'IN' ? answer(query, soaReply(query)) : answer(query, chaosTxtReply(query, 'chaos-node')),
      )
      expect(observation).toMatchObject({ outcome: 'ok', identity: { source: 'hostname.bind', text: 'chaos-node' } })
      expect(exitCode).toBe(EXIT_ANSWERED)
    })
  })

  describe('answers with an error RCODE are answers, exit 0', () => {
    it('reports BADVERS as rcode 16, from the OPT extended bits over a NOERROR header', async () => {
      const { observation, exitCode } = await probeHostile(replyWith((query) => soaReply(query, { extendedRcode: 1, rcode: 0 })))
      expect(observation).toMatchObject({ outcome: 'rcode-error', rcode: RCODE_BADVERS })
      expect(observation.error).toMatch(/BADVERS/)
      expect(exitCode).toBe(EXIT_ANSWERED)
    })

    it('reports refused when the server answers REFUSED', async () => {
      const { observation, exitCode } = await probeHostile((query) => answer(query, refusedReply(query)))
      expect(observation).toMatchObject({ outcome: 'refused', rcode: RCODE_REFUSED, identity: null })
      expect(exitCode).toBe(EXIT_ANSWERED)
    })
  })
})
