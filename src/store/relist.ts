// list + watch with re-list: the pattern every consumer of the store uses to keep a consistent view
// of a prefix. A raw watch ends with `compacted` when the history it needs is gone (after a long
// disconnect, or a slow start); this helper then re-lists and hands over a fresh snapshot, so the
// caller only ever sees "here is the whole state at revision R" followed by "these changes after R".

import { StoreError, type KeyValue, type Store, type WatchEvent } from './types.ts';

export interface RelistHandlers {
  /** The complete state under the prefix at `revision`; it replaces everything known before. */
  onSnapshot(kvs: KeyValue[], revision: number): void;
  /** Changes after the latest snapshot or batch, in revision order, never repeated. */
  onEvents(events: WatchEvent[], revision: number): void;
  /** The view ended for good (the store was closed). Not called after cancel(). */
  onError?(err: StoreError): void;
}

export interface RelistOptions {
  /** Ask for prevKv on events. */
  prevKv?: boolean;
  /** Pause before retrying a failed list (ms). Default 100. */
  retryDelayMs?: number;
}

export interface RelistWatch {
  /** Resolves with the revision of the first snapshot once it was delivered. */
  readonly ready: Promise<number>;
  cancel(): void;
}

export function watchWithRelist(
  store: Store,
  prefix: string,
  handlers: RelistHandlers,
  options: RelistOptions = {},
): RelistWatch {
  let cancelled = false;
  let cancelWatch: (() => void) | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let resolveReady!: (rev: number) => void;
  let rejectReady!: (err: unknown) => void;
  const ready = new Promise<number>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});

  const fail = (err: StoreError) => {
    if (cancelled) return;
    cancelled = true;
    rejectReady(err);
    handlers.onError?.(err);
  };

  const retryLater = () => {
    retryTimer = setTimeout(() => void start(), options.retryDelayMs ?? 100);
  };

  const start = async (): Promise<void> => {
    if (cancelled) return;
    let snapshot;
    try {
      snapshot = await store.list(prefix);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'closed') return fail(err);
      return retryLater();
    }
    if (cancelled) return;
    handlers.onSnapshot(snapshot.kvs, snapshot.revision);
    resolveReady(snapshot.revision);
    const w = store.watch(
      prefix,
      { fromRevision: snapshot.revision + 1, prevKv: options.prevKv ?? false },
      (events, revision) => {
        if (!cancelled) handlers.onEvents(events, revision);
      },
      (err) => {
        if (cancelled) return;
        cancelWatch = undefined;
        if (err.code === 'closed') return fail(err);
        // compacted (or anything else the watch could not get past): start over from a fresh list.
        void start();
      },
    );
    cancelWatch = () => w.cancel();
  };

  void start();
  return {
    ready,
    cancel() {
      if (cancelled) return;
      cancelled = true;
      clearTimeout(retryTimer);
      cancelWatch?.();
      rejectReady(new StoreError('closed', `watchWithRelist "${prefix}" was cancelled before its first snapshot`));
    },
  };
}

/** Apply watch events to a key → KeyValue map (a mirror of a prefix). */
export function applyEvents(map: Map<string, KeyValue>, events: WatchEvent[]): void {
  for (const ev of events) {
    if (ev.type === 'put') map.set(ev.key, ev.kv);
    else map.delete(ev.key);
  }
}
