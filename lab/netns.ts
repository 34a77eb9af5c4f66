// Thin wrappers around `ip` for the lab. Every device, address and route is
// created inside a lab namespace (`ip -n NS ...`); nothing is ever added to the
// root namespace. Namespace names must start with the lab prefix.

import { readFile, readlink } from 'node:fs/promises'
import { NAMESPACE_PREFIX } from './topology.ts'
import { runCommand, runOrThrow } from './relay-link.ts'

export { runCommand, runOrThrow }

function assertLabNamespace(namespace: string): void {
  if (!namespace.startsWith(NAMESPACE_PREFIX) || !/^[a-z0-9-]+$/.test(namespace)) {
    throw new Error(`refusing to touch non-lab namespace ${JSON.stringify(namespace)}`)
  }
}

export async function labNamespaces(): Promise<string[]> {
  const output = await runOrThrow('ip', ['netns', 'list'])
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(NAMESPACE_PREFIX))
}

export async function addNamespace(namespace: string): Promise<void> {
  assertLabNamespace(namespace)
  await runOrThrow('ip', ['netns', 'add', namespace])
  await runOrThrow('ip', ['-n', namespace, 'link', 'set', 'lo', 'up'])
}

export async function deleteNamespace(namespace: string): Promise<void> {
  assertLabNamespace(namespace)
  await runOrThrow('ip', ['netns', 'delete', namespace])
}

export async function sysctl(namespace: string, settings: Record<string, string | number>): Promise<void> {
  assertLabNamespace(namespace)
  const args = Object.entries(settings).map(([key, value]) => `${key}=${value}`)
  await runOrThrow('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', ...args])
}

/** ip -n NS ARGS... */
export async function ipIn(namespace: string, args: string[]): Promise<string> {
  assertLabNamespace(namespace)
  return runOrThrow('ip', ['-n', namespace, ...args])
}

/** A veth pair created directly inside its two namespaces (never in the root one). */
export async function addVeth(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
  assertLabNamespace(nsA)
  assertLabNamespace(nsB)
  await runOrThrow('ip', ['-n', nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB])
}

export async function addAddress(namespace: string, device: string, cidr: string): Promise<void> {
  const extra = cidr.includes(':') ? ['nodad'] : []
  await ipIn(namespace, ['addr', 'add', cidr, 'dev', device, ...extra])
}

/** PIDs of the processes whose network namespace is `namespace`. */
export async function namespacePids(namespace: string): Promise<number[]> {
  assertLabNamespace(namespace)
  const result = await runCommand('ip', ['netns', 'pids', namespace])
  if (result.code !== 0) return []
  return result.stdout
    .split(/\s+/)
    .filter((word) => /^\d+$/.test(word))
    .map(Number)
}

/** The lab namespace a process is in (by comparing namespace inodes), or undefined. */
export async function namespaceOfPid(pid: number): Promise<string | undefined> {
  const result = await runCommand('ip', ['netns', 'identify', String(pid)])
  if (result.code !== 0) return undefined
  const name = result.stdout.trim()
  return name === '' ? undefined : name
}

export async function processCommandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim()
  } catch {
    return undefined
  }
}

export async function processExists(pid: number): Promise<boolean> {
  try {
    await readlink(`/proc/${pid}/exe`)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES'
  }
}
