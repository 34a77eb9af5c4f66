// One process of the cross-process tests in sqlite.test.ts: opens the store file, waits for the shared
// start time, races, prints what it got as JSON.
//   node --import tsx sqlite-racer.ts save <db> <startAtMs> <name>   -> { saved: boolean }
//   node --import tsx sqlite-racer.ts claim <db> <startAtMs> <name>  -> { claimed: string[] }
import { createSqliteStore } from '../../../src/adapters/store/sqlite.ts'

const CLAIM_BATCH = 2
/** A pause between claims, so that the processes' claims interleave. */
const PAUSE_MS = 1
const LEASE_MS = 600_000
const [mode, path, startAtText, name] = process.argv.slice(2) as [string, string, string, string]

const store = createSqliteStore({ path })
while (Date.now() < Number(startAtText)) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))

if (mode === 'save') {
  const at = Date.UTC(2026, 10, 1)
  const incident = { key: `k-root/outage/target`, target: 'k-root', openedAt: at } as never
  const notification = { id: `from-${name}`, event: 'trigger', incident, at } as never
  const saved = await store.savePolicyState('k-root', 1, { winner: name }, [], [{ route: 'slack', notification }])
  process.stdout.write(JSON.stringify({ saved }))
} else {
  const claimed: string[] = []
  for (;;) {
    const items = await store.claimDueDeliveries(Date.now(), CLAIM_BATCH, LEASE_MS)
    if (items.length === 0) break
    claimed.push(...items.map((item) => item.id))
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
  }
  process.stdout.write(JSON.stringify({ claimed }))
}
await store.close()
