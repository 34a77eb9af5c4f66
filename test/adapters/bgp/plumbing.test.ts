import { describe, expect, it } from 'vitest'
import { createCircuitBreaker } from '../../../src/adapters/bgp/circuit-breaker.ts'
import { createSemaphore } from '../../../src/adapters/bgp/semaphore.ts'
import { createTtlCache } from '../../../src/adapters/bgp/ttl-cache.ts'

describe('the semaphore', () => {
  it('runs at most `limit` tasks at once, the others in arrival order', async () => {
    const semaphore = createSemaphore(2)
    const started: number[] = []
    const finish = new Map<number, () => void>()
    const task = (id: number) => () =>
      new Promise<number>((resolve) => {
        started.push(id)
        finish.set(id, () => resolve(id))
      })
    const tasks = [0, 1, 2, 3].map((id) => semaphore.run(task(id)))
    await Promise.resolve()
    expect([started, semaphore.inFlight()]).toEqual([[0, 1], 2])
    finish.get(1)?.()
    await tasks[1]
    await Promise.resolve()
    expect([started, semaphore.inFlight()]).toEqual([[0, 1, 2], 2])
    for (const id of [0, 2]) finish.get(id)?.()
    await Promise.all([tasks[0], tasks[2]])
    await Promise.resolve()
    finish.get(3)?.()
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3])
    expect(semaphore.inFlight()).toBe(0)
  })

  it('frees the slot of a task that fails', async () => {
    const semaphore = createSemaphore(1)
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await semaphore.run(async () => 'next')).toBe('next')
  })
})

describe('the TTL cache', () => {
  it('serves an entry while fresh, keeps it as last good until the keep time, and forgets the oldest beyond maxEntries', () => {
    const cache = createTtlCache<string>({ keepMs: 1_000, maxEntries: 2 })
    cache.put('a', 'A', 100, 0)
    expect([cache.fresh('a', 99), cache.fresh('a', 100), cache.lastGood('a', 1_000)?.value, cache.lastGood('a', 1_001)]).toEqual([
      'A',
      undefined,
      'A',
      undefined,
    ])
    cache.put('b', 'B', 100, 0)
    cache.put('c', 'C', 100, 0)
    expect([cache.fresh('a', 1), cache.fresh('b', 1), cache.fresh('c', 1)]).toEqual([undefined, 'B', 'C'])
  })
})

describe('the circuit breaker', () => {
  it('opens after failureThreshold failures in a row, for cooldownMs; a success in between resets the count', () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000 })
    breaker.recordFailure(0)
    breaker.recordSuccess()
    breaker.recordFailure(0)
    expect(breaker.blockedReason(0)).toBeNull()
    breaker.recordFailure(10)
    expect(breaker.blockedReason(500)).toMatch(/2 failed requests in a row/)
    expect(breaker.blockedReason(1_010)).toBeNull()
  })

  it('holds requests until the time the server asked for', () => {
    const breaker = createCircuitBreaker()
    breaker.holdUntil(5_000, 'the server asked for 5 s of quiet')
    expect(breaker.blockedReason(4_999)).toMatch(/5 s of quiet/)
    expect(breaker.blockedReason(5_000)).toBeNull()
  })
})
