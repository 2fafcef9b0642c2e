import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../bridge/dispatcher.js';
import type { Ledger } from '../../bridge/ledger.js';
import type { Logger } from '../../bridge/log.js';
import type { Recorder } from '../../bridge/recorder.js';

describe('Dispatcher', () => {
  it('survives a flush that rejects', async () => {
    const errors: string[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (message: string) => errors.push(message) } as unknown as Logger;
    let pending = [{ seq: 1, recording: {} }];
    const ledger = {
      pendingRecordings: () => pending,
      confirmDelivered: () => {
        pending = [];
      },
    } as unknown as Ledger;
    // The tracer provider rejects forceFlush with an array of errors when a processor times out.
    const recorder = {
      record: () => 1,
      exportStats: () => ({ exported: 0, failed: 0, dropped: 0, pending: 0 }),
      flush: () => Promise.reject([new Error('export timed out')]),
    } as unknown as Recorder;

    const dispatcher = new Dispatcher(ledger, recorder, log, { batchSize: 10, retryDelayMillis: 10 });
    dispatcher.kick();
    await dispatcher.settled();
    await dispatcher.stop();

    expect(errors).toEqual(['outbox pass failed; its batch stays in the outbox']);
    expect(pending).toHaveLength(1);
  });
});
