/**
 * What the monitor answered to one push, as the sender acts on it:
 * - accepted: a 2xx; the batch is in the monitor's store (`duplicates` of it were there already)
 * - retry: the monitor was unreachable, timed out, or answered 408, 429 or 5xx; send it again later
 * - rejected: any other 4xx; sending the same batch again would be refused again
 */
export type PushResult =
  | { kind: 'accepted'; status: number; stored: number; duplicates: number }
  | { kind: 'retry'; status: number | null; error: string; retryAfterMs: number | null }
  | { kind: 'rejected'; status: number; error: string }

/** Sends one batch body to the monitor's ingest API, signed as one vantage. Never throws for what the network or monitor did. */
export interface IngestPusher {
  push(body: string, signal?: AbortSignal): Promise<PushResult>
}

/**
 * Batch bodies kept until the monitor has them, in the order they were added, across restarts. Ids sort
 * in that order.
 */
export interface BatchSpool {
  /** Keeps a body (atomically: after a crash it is there whole or not at all); returns its id. */
  add(body: string): Promise<string>
  /** Ids of the batches kept, oldest first. */
  ids(): Promise<string[]>
  read(id: string): Promise<string>
  /** Forgets a delivered batch. */
  remove(id: string): Promise<void>
  /** Moves a batch the monitor refused out of the queue, keeping it and the reason for a person to look at. */
  setAside(id: string, reason: string): Promise<void>
}
