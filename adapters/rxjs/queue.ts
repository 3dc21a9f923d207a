/**
 * toQueue: pumps an Observable into a core Queue. A push source cannot
 * await `put`, so a full queue applies the overflow policy.
 * @module
 */
import { Observable, Subscriber, from, type ObservableInput, type Subscription } from "rxjs";
import {
  Queue,
  QueueFull,
  QueueShutDown,
  getRunningLoop,
  toAwaitable,
  type Awaitable,
  type Coroutine,
  type EventLoop,
  type Future,
} from "../../src/index.js";
import { Kind, normalizePolicy, type Policy } from "./policy.js";
import { safeUnsubscribe } from "./report.js";

/**
 * Options of {@link toQueue}.
 *
 * @example
 * ```ts
 * interface Job { id: number }
 * const opts: ToQueueOptions<Job> = { queue: new Queue<Job>(), policy: { bufferSize: 100, overflow: "dropOldest" } };
 * ```
 */
export interface ToQueueOptions<T> {
  /** The queue to fill (default: a new one, of `policy.bufferSize` for a bounded policy). */
  queue?: Queue<T>;
  /**
   * What happens when values arrive faster than they are taken (default
   * `"unbounded"`; on a queue with a `maxsize`, `"unbounded"` acts as
   * `{ bufferSize: maxsize, overflow: "error" }`).
   */
  policy?: Policy;
}

/**
 * What {@link toQueue} returns.
 *
 * @example
 * ```ts
 * const { queue, subscription }: QueueBridge<number> = toQueue(of(1, 2, 3));
 * await queue.get(); // 1
 * ```
 */
export interface QueueBridge<T> {
  /** The queue the values go to. */
  queue: Queue<T>;
  /** Unsubscribing stops the pumping (the queue stays open: shut it down yourself if you wish). */
  subscription: Subscription;
}

/** The source error of each queue fed by toQueue (once failed), in a core Future. */
const failures = new WeakMap<Queue<any>, Future<never>>();
const wrapped = new WeakSet<Queue<any>>();

/**
 * Makes the getters of `queue` raise the source's error (once there is one)
 * instead of `QueueShutDown` when the queue is drained. Installed when the
 * pumping starts, so that getters already waiting then get it too. The error
 * sits in a core Future: one that no getter ever raises is reported as never
 * retrieved.
 */
function wrapGetters<T>(queue: Queue<T>): void {
  if (wrapped.has(queue)) return;
  wrapped.add(queue);
  const get = queue.get;
  const getNowait = queue.getNowait;
  const rethrow = (e: unknown): never => {
    if (e instanceof QueueShutDown) failures.get(queue)?.result();
    throw e;
  };
  function* mapped(inner: Awaitable<T>): Coroutine<T> {
    try {
      return yield* inner;
    } catch (e) {
      return rethrow(e);
    }
  }
  // Instance properties: every get() (and the queue's own async iterator) goes through them.
  queue.getNowait = function (this: Queue<T>): T {
    try {
      return getNowait.call(this);
    } catch (e) {
      return rethrow(e);
    }
  };
  queue.get = function (this: Queue<T>, options?: { signal?: AbortSignal }): Awaitable<T> {
    if (this.qsize() > 0) return get.call(this, options); // an item is there: it cannot raise
    let inner: Awaitable<T>;
    try {
      inner = get.call(this, options);
    } catch (e) {
      return rethrow(e);
    }
    return toAwaitable(mapped(inner));
  };
}

function attachFailure<T>(queue: Queue<T>, loop: EventLoop, err: unknown): void {
  if (failures.has(queue)) return;
  const holder = loop.createFuture<never>();
  holder.setException(err);
  failures.set(queue, holder);
}

/**
 * Pumps `source` into a core {@link Queue} (subscribes at once): each value
 * is `putNowait`-ed, and a full queue applies `policy` (a push source cannot
 * await `put`). Completion shuts the queue down (getters raise
 * `QueueShutDown` only once it is drained); a source error (or an overflow
 * with `"error"`: `QueueFull`) shuts it down too, and every getter that
 * finds it drained raises that error instead of `QueueShutDown`.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const { queue } = toQueue(of(1, 2, 3));
 *   for await (const n of queue) console.log(n); // 1 2 3, then the loop ends
 * });
 * ```
 */
export function toQueue<T>(source: ObservableInput<T>, options?: ToQueueOptions<T>): QueueBridge<T> {
  const policy = normalizePolicy(options?.policy);
  const queue = options?.queue ?? new Queue<T>(Number.isFinite(policy.size) ? Math.max(policy.size, 0) : 0);
  if (!(queue instanceof Queue)) throw new TypeError("toQueue: options.queue must be a Queue of asyncio-ts");
  const loop = getRunningLoop();
  const obs = source instanceof Observable ? source : from(source);
  const { kind } = policy;
  const capacity =
    kind === Kind.Unbounded ? (queue.maxsize > 0 ? queue.maxsize : Infinity) : kind === Kind.Next ? 0 : policy.size;
  let ended = false;
  const fail = (e: unknown): void => {
    if (ended) return;
    ended = true;
    attachFailure(queue, loop, e);
    queue.shutdown();
  };
  const drop = (): void => {
    queue.getNowait();
    queue.taskDone(); // a dropped value counts as processed, so join() does not wait for it
  };
  const subscriber = new Subscriber<T>({
    next(v) {
      if (ended) return;
      if (queue.statistics().shutdown) {
        // Shut down by its consumer: stop pumping.
        ended = true;
        safeUnsubscribe(subscriber, loop);
        return;
      }
      const size = queue.qsize();
      if (kind === Kind.Next) {
        if (queue.statistics().getters > 0) queue.putNowait(v);
        return;
      }
      if (kind === Kind.Latest) {
        while (queue.qsize() > 0) drop();
        queue.putNowait(v);
        return;
      }
      const full = size >= capacity || queue.full();
      if (!full) queue.putNowait(v);
      else if (kind === Kind.DropOldest) {
        drop();
        queue.putNowait(v);
      } else if (kind === Kind.Error || kind === Kind.Unbounded) {
        fail(new QueueFull(`toQueue: more than ${Math.min(capacity, queue.maxsize || capacity)} unread values`));
        safeUnsubscribe(subscriber, loop);
      }
      // Kind.DropNewest: v is dropped
    },
    error(e: unknown) {
      fail(e);
    },
    complete() {
      if (ended) return;
      ended = true;
      queue.shutdown();
    },
  });
  wrapGetters(queue);
  obs.subscribe(subscriber);
  return { queue, subscription: subscriber };
}
