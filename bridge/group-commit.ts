import type { BridgeEvent } from './events.js';
import type { ApplyResult, Ledger } from './ledger.js';

/** Deliveries committed together at most. */
const MAX_BATCH = 256;

/**
 * Collects the deliveries that arrive while the event loop is busy and applies
 * them in one transaction at the next turn (group commit). The server still
 * responds to a webhook only after its delivery is committed, but one disk sync
 * serves every request in the batch.
 */
export class GroupCommit {
  private readonly ledger: Ledger;
  private queue: { deliveryId: string; event: BridgeEvent; resolve: (result: ApplyResult | Error) => void }[] = [];
  private scheduled = false;

  constructor(ledger: Ledger) {
    this.ledger = ledger;
  }

  /** Applies the delivery with the others of this turn; resolves with its result or the error that stopped it. */
  submit(deliveryId: string, event: BridgeEvent): Promise<ApplyResult | Error> {
    return new Promise((resolve) => {
      this.queue.push({ deliveryId, event, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    this.scheduled = this.queue.length > 0;
    if (this.scheduled) setImmediate(() => this.flush());
    const results = this.ledger.applyBatch(batch);
    batch.forEach((item, index) => item.resolve(results[index]!));
  }
}
