// What the workerd tests of the scheduled handler share: the coordinator Durable Object's stub, and one
// cron tick through the Worker's real scheduled() handler, waited for to the end.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../workers/src/index.ts'

export const coordinator = () => env.COORDINATOR.get(env.COORDINATOR.idFromName('coordinator'))

export async function tickAt(scheduledTime: number): Promise<void> {
  const controller = createScheduledController({ scheduledTime, cron: '* * * * *' })
  const ctx = createExecutionContext()
  await worker.scheduled(controller, env, ctx)
  await waitOnExecutionContext(ctx)
}
