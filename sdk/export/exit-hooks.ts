import { isMainThread } from 'node:worker_threads';

/**
 * Marks the signal listeners of every ExitSafeSpanProcessor, also across copies of
 * this module, so that a listener can tell them apart from the host's own listeners.
 */
const FLUSH_SYNC = Symbol.for('factory-telemetry.export.flush-sync');

/** Signals whose default action (terminate) would skip the 'exit' event. */
const FLUSHED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

type MarkedSignalListener = ((signal: NodeJS.Signals) => void) & { [FLUSH_SYNC]?: () => void };

export interface ExitHookCallbacks {
  /** Delivers all accepted spans, blocking at most until the exit deadline. Must not throw. */
  flushSync(): void;
  /** Starts exporting queued spans without blocking. Must not throw. */
  flushAsync(): void;
}

/**
 * Installs a process 'exit' listener and, on the main thread, SIGTERM and SIGINT
 * listeners. Returns a function that removes them again.
 *
 * On 'exit', which Node.js also emits after `process.exit(n)` and after an uncaught
 * exception or unhandled rejection, `flushSync` runs. A signal that reaches a process
 * with no listeners of its own terminates it without an 'exit' event. Adding a
 * listener would instead keep the process running. So when the signal arrives and
 * only exit-safe processors listen, every one of them flushes synchronously, their
 * listeners are removed and the signal is raised again, which terminates the process
 * with that signal as it would have without the SDK. Listeners of the signal-exit
 * package count as absent here, because it too re-raises the signal only when no other
 * listener is left. When the host listens itself, the host decides what happens: the
 * processors only start exporting, and a later `process.exit` delivers the rest
 * through the 'exit' listener.
 */
export function installExitHooks(callbacks: ExitHookCallbacks): () => void {
  const onExit = (): void => callbacks.flushSync();
  process.on('exit', onExit);

  const signalListeners = new Map<NodeJS.Signals, MarkedSignalListener>();
  // Signal events are emitted on the main thread only.
  if (isMainThread) {
    for (const signal of FLUSHED_SIGNALS) {
      const listener: MarkedSignalListener = (received) => handleSignal(received, listener, callbacks);
      listener[FLUSH_SYNC] = callbacks.flushSync;
      process.on(signal, listener);
      signalListeners.set(signal, listener);
    }
  }

  return () => {
    process.removeListener('exit', onExit);
    for (const [signal, listener] of signalListeners) {
      process.removeListener(signal, listener);
    }
  };
}

function handleSignal(signal: NodeJS.Signals, ownListener: MarkedSignalListener, callbacks: ExitHookCallbacks): void {
  const listeners = process.listeners(signal) as MarkedSignalListener[];
  // Absent when the listener of another processor handled this signal first.
  if (!listeners.includes(ownListener)) {
    return;
  }

  const unmarkedListenerCount = listeners.filter((listener) => listener[FLUSH_SYNC] === undefined).length;
  if (unmarkedListenerCount > countSignalExitListeners()) {
    callbacks.flushAsync();
    return;
  }

  for (const listener of listeners) {
    const flushSync = listener[FLUSH_SYNC];
    if (flushSync === undefined) {
      continue;
    }
    try {
      flushSync();
    } catch {
      // flushSync must not throw, and a failure of one processor must not keep the
      // others from flushing or the signal from terminating the process.
    }
    process.removeListener(signal, listener);
  }
  // With no listener left, Node.js restores the default action, so this terminates the
  // process with `signal`. Remaining signal-exit listeners now see only their own
  // listeners, whether they run later in this emit or receive the raised signal after
  // declining earlier, so signal-exit runs its handlers and re-raises the signal.
  // NOTE: on Windows process.kill ends the process without a signal.
  process.kill(process.pid, signal);
}

/**
 * Returns how many listeners per signal the signal-exit package (versions 3 and 4)
 * has registered. signal-exit is used by execa, ora and many other CLI libraries. Its
 * listener re-raises a signal only when every listener is its own, and our listener
 * re-raises only when every other listener is marked, so without this count neither
 * would re-raise and the process would survive the signal. Both versions keep the
 * count on a process-wide emitter: v3 on `process.__signal_exit_emitter__`, v4 on
 * `globalThis[Symbol.for('signal-exit emitter')]`.
 */
function countSignalExitListeners(): number {
  const version3 = (process as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  const version4 = (globalThis as unknown as Record<symbol, { count?: unknown } | undefined>)[
    Symbol.for('signal-exit emitter')
  ];
  let count = 0;
  for (const emitter of [version3, version4]) {
    if (typeof emitter?.count === 'number') {
      count += emitter.count;
    }
  }
  return count;
}
