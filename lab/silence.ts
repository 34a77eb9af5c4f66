// A silenced vantage (npm run lab -- silence VANTAGE): its namespace stays alive, links, addresses and
// routes included, but its name is gone from /run/netns, so `ip netns exec aml-vN ...` (how the
// monitor's netns runner reaches it, src/adapters/runner/netns.ts) fails at once with "Cannot open
// network namespace": the runner reports an error and the monitor gets no observation from the vantage,
// as from a dead agent or region. The namespace is held by a second bind mount of its handle under
// RUN_DIR/silenced/; `unsilence` mounts it back at /run/netns/NAME. `down` unsilences first (lab.ts).
// Only lab namespaces (aml-v*) and only these two paths are ever mounted or unmounted.
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand, runOrThrow } from './relay-link.ts'
import { RUN_DIR, VANTAGES, vantageById } from './topology.ts'

const NETNS_DIR = '/run/netns'
export const SILENCED_DIR = join(RUN_DIR, 'silenced')

export function namespaceHandle(namespace: string): string {
  return join(NETNS_DIR, namespace)
}

export function silencedHandle(namespace: string): string {
  return join(SILENCED_DIR, namespace)
}

function vantageNamespace(vantageId: string): string {
  const { namespace } = vantageById(vantageId)
  if (!/^aml-v\d+$/.test(namespace)) throw new Error(`refusing to silence ${JSON.stringify(namespace)}`)
  return namespace
}

async function isMountPoint(path: string): Promise<boolean> {
  return (await runCommand('mountpoint', ['-q', path])).code === 0
}

/** The vantages whose namespace is held under SILENCED_DIR (mounted there). */
export async function silencedVantages(): Promise<string[]> {
  const names = await readdir(SILENCED_DIR).catch(() => [] as string[])
  const silenced: string[] = []
  for (const vantage of VANTAGES) {
    if (names.includes(vantage.namespace) && (await isMountPoint(silencedHandle(vantage.namespace)))) silenced.push(vantage.id)
  }
  return silenced
}

/** Moves the vantage's namespace handle out of /run/netns (keeping the namespace). Returns false if it already was. */
export async function silenceVantage(vantageId: string): Promise<boolean> {
  const namespace = vantageNamespace(vantageId)
  const held = silencedHandle(namespace)
  if (await isMountPoint(held)) return false
  const handle = namespaceHandle(namespace)
  if (!(await isMountPoint(handle))) throw new Error(`${handle} is not a namespace handle: is the lab up?`)
  await mkdir(SILENCED_DIR, { recursive: true })
  await writeFile(held, '')
  await runOrThrow('mount', ['--bind', handle, held])
  await runOrThrow('umount', [handle])
  await rm(handle, { force: true })
  return true
}

/** Puts the handle back at /run/netns/NAME. Returns false if the vantage was not silenced. */
export async function unsilenceVantage(vantageId: string): Promise<boolean> {
  const namespace = vantageNamespace(vantageId)
  const held = silencedHandle(namespace)
  if (!(await isMountPoint(held))) {
    await rm(held, { force: true })
    return false
  }
  const handle = namespaceHandle(namespace)
  if (!existsSync(handle)) await writeFile(handle, '')
  if (!(await isMountPoint(handle))) await runOrThrow('mount', ['--bind', held, handle])
  await runOrThrow('umount', [held])
  await rm(held, { force: true })
  return true
}

/** Unsilences every silenced vantage (down does this first, so that every namespace is listed and deleted). */
export async function unsilenceAll(): Promise<string[]> {
  const restored: string[] = []
  for (const vantage of await silencedVantages()) {
    if (await unsilenceVantage(vantage)) restored.push(vantage)
  }
  return restored
}
