// A real HTTP server on 127.0.0.1 that stands in for Slack, PagerDuty or a webhook receiver: it
// records every request and answers as the test scripts it, including not answering at all.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  /** The status it was answered with; null when it was never answered. */
  answeredStatus: number | null
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

/** An answer, sent after delayMs when given, or 'never' (the connection stays open until close()). */
export type ScriptedAnswer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'never'

export interface HttpReceiver {
  url: string
  received: ReceivedRequest[]
  /** Changes the script for the requests still to come. */
  answerWith(script: (request: ReceivedRequest, index: number) => ScriptedAnswer): void
  close(): Promise<void>
}

export async function startHttpReceiver(script: (request: ReceivedRequest, index: number) => ScriptedAnswer): Promise<HttpReceiver> {
  let current = script
  const received: ReceivedRequest[] = []
  const unanswered: ServerResponse[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const request: ReceivedRequest = {
        answeredStatus: null,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json: parseJson(body),
      }
      received.push(request)
      const answer = current(request, received.length - 1)
      if (answer === 'never') {
        unanswered.push(res)
        return
      }
      const reply = (): void => {
        request.answeredStatus = answer.status
        res.writeHead(answer.status, { 'Content-Type': 'text/plain', ...answer.headers })
        res.end(answer.body ?? '')
      }
      if (answer.delayMs === undefined) reply()
      else setTimeout(reply, answer.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answerWith: (next) => {
      current = next
    },
    close: async () => {
      for (const res of unanswered) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}
