import { describe, expect, it } from 'vitest'
import { CLOUDFLARE_TRACE_URL, createTraceColoLookup, type TraceFetch } from '../../../src/adapters/colo/cloudflare-trace.ts'

const TRACE = 'fl=123f45\nh=www.cloudflare.com\nip=192.0.2.1\nts=1795314264.248\nvisit_scheme=https\ncolo=FRA\nsliver=none\nhttp=http/1.1\nloc=DE\n'

/** Answers from a list, one per call, and records the URLs asked. */
function trace(...answers: ({ status: number; body: string } | Error)[]) {
  const asked: string[] = []
  const fetch: TraceFetch = async (url) => {
    asked.push(url)
    const answer = answers.shift()
    if (!answer) throw new Error('no more answers')
    if (answer instanceof Error) throw answer
    return { ok: answer.status === 200, status: answer.status, text: async () => answer.body }
  }
  return { fetch, asked }
}

describe('the colo lookup through Cloudflare trace', () => {
  it('reads the colo line of the trace', async () => {
    const { fetch, asked } = trace({ status: 200, body: TRACE })
    expect(await createTraceColoLookup({ fetch })()).toBe('FRA')
    expect(asked).toEqual([CLOUDFLARE_TRACE_URL])
  })

  it('asks once and keeps the answer, since each lookup costs a subrequest', async () => {
    const { fetch, asked } = trace({ status: 200, body: TRACE })
    const locate = createTraceColoLookup({ fetch })
    await locate()
    expect(await locate()).toBe('FRA')
    expect(asked).toHaveLength(1)
  })

  it('says null, never a guess, when the lookup fails, and asks again next time', async () => {
    const { fetch, asked } = trace(new TypeError('fetch failed'), { status: 503, body: 'colo=AMS' }, { status: 200, body: 'no colo here' }, { status: 200, body: TRACE })
    const locate = createTraceColoLookup({ fetch })
    expect([await locate(), await locate(), await locate(), await locate()]).toEqual([null, null, null, 'FRA'])
    expect(asked).toHaveLength(4)
  })
})
