/**
 * Greenlet: a green thread on the core's event loop, with gevent's
 * semantics (start on the next loop pass, kill raising inside at the switch
 * point, links after death, GreenletExit counting as success).
 * @module
 */
import {
  type Awaitable,
  CancelledError,
  type Coroutine,
  type EventLoop,
  type Future,
  type InteropObservable,
  Task,
  type TimerHandle,
  currentTask,
} from "../../src/index.js";
import { isGenerator, startBody } from "./body.js";
import { GreenletExit } from "./errors.js";
import {
  greenletFinished,
  greenletStarted,
  hubRelease,
  hubRetain,
  loopFor,
  ready,
  READY_VOID,
  rejected,
  setCurrent,
  throwInto,
  translate,
  TIMED_OUT,
  timedFuture,
  waitFor,
} from "./hub.js";
import { aliasSymbolObservable, observeGreenlet } from "./observable.js";
import { Timeout } from "./timeout.js";

/** What a greenlet's function returns, unwrapped: the generator's return value, the promise's value, or the value. */
export type GreenletResult<R> = R extends Generator<unknown, infer T, any> ? T : R extends PromiseLike<infer T> ? T : R;

/** A greenlet's function: a generator function (exact kill), an async function (best-effort kill), or a plain function. */
export type GreenletFunction = (...args: any[]) => unknown;

/** An error class (or instance) a greenlet is killed with. */
export type ExceptionSpec = (new () => unknown) | unknown;

/** Something that can receive a greenlet's outcome through {@link Greenlet.link}: an {@link AsyncResult}. */
export interface LinkTarget<T> {
  /** Called with the value of a successful greenlet. */
  set(value: T): void;
  /** Called with the error of a failed greenlet. */
  setException(e: unknown): void;
}

/** A link callback, or a {@link LinkTarget}. */
export type Link<T> = ((g: Greenlet<T>) => unknown) | LinkTarget<T>;

const LINK = 0;
const LINK_VALUE = 1;
const LINK_EXCEPTION = 2;

interface LinkEntry<T> {
  readonly cb: Link<T>;
  readonly kind: number;
}

/** Options of {@link Greenlet.get}. */
export interface GetOptions {
  /** Wait for the greenlet (default true); false throws {@link Timeout} at once if it is not ready. */
  block?: boolean;
  /** Seconds to wait at most; then {@link Timeout} is thrown. */
  timeout?: number | null;
}

/** Options of {@link Greenlet.kill} and {@link killall}. */
export interface KillOptions {
  /** What to raise inside: an error class (instantiated) or an instance; default {@link GreenletExit}. */
  exception?: ExceptionSpec;
  /** Wait until the greenlet is dead (default true); the kill is requested either way. */
  block?: boolean;
  /** Seconds to wait at most when blocking (the wait then ends silently, as gevent's). */
  timeout?: number | null;
}

const NOT_STARTED = 0;
const SCHEDULED = 1; // start() called, the body has not run yet
const RUNNING = 2; // the body has run (it is suspended or running)
const DEAD = 3;

let counter = 0;

/** @internal Makes the exception a kill raises: a class is instantiated; a non-error is wrapped (gevent wraps in BaseException). */
export function makeException(spec: ExceptionSpec): unknown {
  if (spec === undefined) return new GreenletExit();
  if (typeof spec === "function") return new (spec as new () => unknown)();
  if (spec instanceof Error) return spec;
  return new Error(String(spec));
}

/**
 * A green thread (gevent's `Greenlet`): a generator function run as a task on
 * the event loop, switching with `yield*` on any awaitable of the library.
 *
 * - `start()` schedules the body for the next loop pass; it never runs inside
 *   `spawn`. A greenlet killed before it runs never runs (its links fire).
 * - `kill()` raises {@link GreenletExit} (or the given exception) *inside* the
 *   greenlet, at the `yield*` where it waits: `catch` and `finally` run, and
 *   the greenlet may even catch it and go on.
 * - Links run after death, in a later loop callback, in the order added.
 * - An error nobody catches is reported once, when the greenlet dies,
 *   through the loop's exception handler. GreenletExit is not an error.
 *
 * Async function bodies are accepted: they run as a child task, and a kill
 * reaches them as a cancellation at their next await on the library
 * (best effort). A Greenlet is not a thenable: `await g.get()` or
 * `await g.join()`.
 *
 * @example
 * ```ts
 * const g = new Greenlet(function* (n: number) { yield* sleep(0.1); return n * 2; }, 21);
 * g.start();
 * console.log(await g.get()); // 42 (inside a greenlet: yield* g.get())
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below only types the Symbol.observable alias
export class Greenlet<T = unknown> {
  /** The arguments the function is called with. */
  readonly args: readonly unknown[];
  /** @internal */ _fn: GreenletFunction;
  /** @internal */ _name: string | undefined;
  /** @internal */ _state = NOT_STARTED;
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal */ _task: Task<unknown> | undefined = undefined;
  /** @internal */ _timer: TimerHandle | undefined = undefined;
  /** @internal */ _value: T | GreenletExit | undefined = undefined;
  /** @internal */ _exception: unknown = undefined;
  /** @internal */ _failed = false;
  /** @internal (any: a Greenlet<number> is a Greenlet<unknown>) */ _links: LinkEntry<any>[] | undefined = undefined;
  /** @internal */ _notifying = false;
  /** @internal */ _retained = false;
  /** @internal */ _counted = false;
  /** @internal */ readonly _id = ++counter;

  /**
   * A greenlet that will call `fn(...args)` once started. Throws `TypeError`
   * at once if `fn` is not a function.
   */
  constructor(fn: GreenletFunction, ...args: unknown[]) {
    if (typeof fn !== "function")
      throw new TypeError(`The run argument or self._run must be callable, got ${typeof fn}`);
    this._fn = fn;
    this.args = args;
  }

  /** The greenlet's name: `Greenlet-N` unless set. */
  get name(): string {
    return (this._name ??= `Greenlet-${this._id}`);
  }
  /** Renames the greenlet. */
  set name(v: string) {
    this._name = String(v);
  }

  /**
   * gevent's `bool(g)`: true only between `start()` and death (a greenlet
   * that is dead, or never started, is false), as gevent's deprecated
   * `started`. It is not "has ever started".
   */
  get started(): boolean {
    return this._state === SCHEDULED || this._state === RUNNING;
  }

  /** True once the greenlet has finished or was killed before it ran. */
  get dead(): boolean {
    return this._state === DEAD;
  }

  /** True once the greenlet is dead (it has a value or an exception). */
  ready(): boolean {
    return this._state === DEAD;
  }

  /** True if the greenlet finished without an error (a kill with GreenletExit counts as success). */
  successful(): boolean {
    return this._state === DEAD && !this._failed;
  }

  /** The return value (or the GreenletExit instance that ended it); undefined until it finishes successfully. */
  get value(): T | GreenletExit | undefined {
    return this._value;
  }

  /** The error the greenlet died with; undefined until it finishes, and when it succeeded. */
  get exception(): unknown {
    return this._exception;
  }

  /** Schedules the greenlet to run on the next loop pass; a no-op if started already or dead. */
  start(): void {
    if (this._state !== NOT_STARTED) return;
    const loop = this.#loop();
    this._state = SCHEDULED;
    this._task = new Task(main(this), { loop });
  }

  /** Schedules the greenlet to start `seconds` from now; a no-op if started already or dead. */
  startLater(seconds: number): void {
    if (this._state !== NOT_STARTED) return;
    const loop = this.#loop();
    this._state = SCHEDULED;
    this._timer = loop.callLater(seconds, () => {
      this._timer = undefined;
      this._task = new Task(main(this), { loop, eagerStart: true });
    });
  }

  #loop(): EventLoop {
    const loop = (this._loop = loopFor());
    this._retained = hubRetain(loop);
    greenletStarted(loop);
    this._counted = true;
    return loop;
  }

  /**
   * Waits until the greenlet is dead, at most `timeout` seconds; the timeout
   * ends the wait silently (gevent's `join` returns None either way).
   */
  join(timeout?: number | null): Awaitable<void> {
    if (this._state === DEAD) return READY_VOID;
    return this.#wait(timeout, () => undefined);
  }

  /**
   * The greenlet's value, waiting for it (at most `timeout` seconds, then
   * {@link Timeout} is thrown); its error is thrown if it failed. With
   * `block: false` a greenlet that is not ready throws {@link Timeout} at once.
   */
  get({ block = true, timeout }: GetOptions = {}): Awaitable<T> {
    if (this._state === DEAD) {
      if (this._failed) {
        if (!block) throw this._exception;
        return rejected(this._exception);
      }
      return ready(this._value as T);
    }
    if (!block) throw new Timeout();
    return this.#wait(timeout, (v) => {
      if (v === TIMED_OUT) throw new Timeout(timeout ?? undefined);
      if (this._failed) throw this._exception;
      return this._value as T;
    });
  }

  #wait<R>(timeout: number | null | undefined, finish: (v: unknown) => R): Awaitable<R> {
    const loop = this._loop ?? loopFor();
    const fut = timedFuture<void>(loop, timeout) as Future<unknown>;
    const wake = (): void => {
      if (!fut.done()) fut.setResult(undefined);
    };
    this.rawlink(wake);
    return waitFor(fut, finish, () => this.unlink(wake));
  }

  /**
   * Kills the greenlet: raises `exception` (default {@link GreenletExit}; a
   * class is instantiated) inside it at its switch point, on the next loop
   * pass. A greenlet that has not run yet never runs. The kill is requested
   * when this is called; the returned awaitable (with `block`, the default)
   * waits for death, at most `timeout` seconds.
   */
  kill({ exception = GreenletExit, block = true, timeout }: KillOptions = {}): Awaitable<void> {
    if (this._state === DEAD) return READY_VOID;
    const exc = makeException(exception);
    if (this._state === NOT_STARTED || this._state === SCHEDULED) {
      // gevent's _maybe_kill_before_start: it is never switched into.
      if (this._timer !== undefined) {
        this._timer.cancel();
        this._timer = undefined;
      }
      this._task?.cancel();
      this._task = undefined;
      if (this._loop === undefined) this._loop = loopFor();
      this._die(false, exc);
      return READY_VOID;
    }
    throwInto(this._task!, exc);
    return block ? this.join(timeout) : READY_VOID;
  }

  /** Calls `cb(this)` after death (or soon, if dead already), from a loop callback: gevent's `rawlink`. */
  rawlink(cb: (g: Greenlet<T>) => unknown): void {
    this.#addLink(cb, LINK);
  }
  /**
   * Calls `cb(this)` after death, from a loop callback; if `cb` returns a
   * generator or a promise it runs as a greenlet of its own (gevent runs
   * links in a new greenlet, so they may block). An {@link AsyncResult} is
   * given the value or the error.
   */
  link(cb: Link<T>): void {
    this.#addLink(cb, LINK);
  }
  /** As {@link link}, only if the greenlet succeeds. */
  linkValue(cb: Link<T>): void {
    this.#addLink(cb, LINK_VALUE);
  }
  /** As {@link link}, only if the greenlet fails. */
  linkException(cb: Link<T>): void {
    this.#addLink(cb, LINK_EXCEPTION);
  }
  /** Removes every link registration of `cb` (by any of the link methods). */
  unlink(cb: Link<T>): void {
    const links = this._links;
    if (links === undefined) return;
    for (let i = links.length - 1; i >= 0; i--) if (links[i]!.cb === cb) links.splice(i, 1);
  }
  /** Removes all links. */
  unlinkAll(): void {
    this._links = undefined;
  }
  /** True if any link is registered. */
  hasLinks(): boolean {
    return this._links !== undefined && this._links.length > 0;
  }

  #addLink(cb: Link<T>, kind: number): void {
    if (typeof cb !== "function" && !isLinkTarget(cb)) throw new TypeError(`Expected callable: ${String(cb)}`);
    (this._links ??= []).push({ cb, kind });
    if (this._state === DEAD) this.#scheduleNotify();
  }

  #scheduleNotify(): void {
    if (this._notifying) return;
    this._notifying = true;
    this._loop!.callSoon(notifyLinks, this as Greenlet<unknown>);
  }

  /** @internal The body finished (or the greenlet was killed before it ran). */
  _die(ok: boolean, v: unknown): void {
    if (this._state === DEAD) return;
    this._state = DEAD;
    this._task = undefined;
    if (ok || v instanceof GreenletExit) this._value = v as T;
    else {
      this._failed = true;
      this._exception = v;
      // gevent's hub.handle_error: at death, whether or not anyone calls get().
      if (!(v instanceof CancelledError)) {
        this._loop!.callExceptionHandler({
          message: `${this.name} failed with ${describeError(v)}`,
          exception: v,
          greenlet: this,
        });
      }
    }
    if (this._links !== undefined && this._links.length > 0) this.#scheduleNotify();
    else this._release();
  }

  /** @internal */
  _release(): void {
    if (this._counted) {
      this._counted = false;
      greenletFinished(this._loop!);
    }
    if (this._retained) {
      this._retained = false;
      hubRelease(this._loop!);
    }
  }

  /** @internal gevent's `_notify_links`: from the front, so that a link may unlink later ones. */
  _notifyLinks(): void {
    this._notifying = false;
    const links = this._links;
    while (links !== undefined && links.length > 0) {
      const { cb, kind } = links.shift()!;
      if ((kind === LINK_VALUE && this._failed) || (kind === LINK_EXCEPTION && !this._failed)) continue;
      try {
        if (typeof cb === "function") {
          const r = cb(this);
          if (
            isGenerator(r) ||
            (typeof r === "object" && r !== null && typeof (r as PromiseLike<unknown>).then === "function")
          )
            spawn(() => r);
        } else if (this._failed) cb.setException(this._exception);
        else cb.set(this._value as T);
      } catch (e) {
        this._loop!.callExceptionHandler({ message: `link of ${this.name} failed`, exception: e, greenlet: this });
      }
    }
    this._release();
  }

  /**
   * The Observable interop key, with no rxjs import (`from(g)` of rxjs takes
   * it): subscribers get the value then `complete` (a kill with GreenletExit
   * is a success: the value is the GreenletExit instance, as `get()`), or
   * `error` with the exception, after death, from a loop callback. Owned like
   * a Task: when the last subscriber unsubscribes before death, the greenlet
   * is killed (GreenletExit, without blocking).
   *
   * @example
   * ```ts
   * import { from } from "rxjs";
   * const g = spawn(function* () { yield* sleep(0.1); return 42; });
   * from(g).subscribe((v) => console.log(v)); // 42, once g is dead
   * await g.join();
   * const h = spawn(() => sleep(5));
   * from(h).subscribe().unsubscribe(); // the last subscriber left: h is killed
   * ```
   */
  "@@observable"(): InteropObservable<T> {
    return observeGreenlet(this);
  }

  /** @internal */
  toString(): string {
    return `<Greenlet "${this.name}" ${this._state === DEAD ? "dead" : this.started ? "started" : "new"}>`;
  }
}

/** The type of the `Symbol.observable` alias (present at run time only when a polyfill defined the symbol). */
export interface Greenlet<T> {
  /** The same as `'@@observable'` (rxjs reads this key when `Symbol.observable` exists). */
  [Symbol.observable](): InteropObservable<T>;
}
aliasSymbolObservable(Greenlet.prototype);

function notifyLinks(g: Greenlet<unknown>): void {
  g._notifyLinks();
}

function isLinkTarget(x: unknown): x is LinkTarget<unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as LinkTarget<unknown>).set === "function" &&
    typeof (x as LinkTarget<unknown>).setException === "function"
  );
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** The task's coroutine: drives the body and records the outcome; it never throws (the greenlet reports). */
function* main<T>(g: Greenlet<T>): Coroutine<void> {
  g._state = RUNNING;
  // drive() of body.ts, inlined: one generator less per greenlet.
  const task = currentTask();
  let prev = setCurrent(g);
  let body: Coroutine<unknown>;
  try {
    body = startBody(g._fn, g.args);
  } catch (e) {
    setCurrent(prev);
    return g._die(false, e);
  }
  setCurrent(prev);
  let value: unknown;
  let exc: unknown;
  let hasExc = false;
  for (;;) {
    let r: IteratorResult<unknown, unknown>;
    prev = setCurrent(g);
    try {
      r = hasExc ? body.throw(exc) : body.next(value);
    } catch (e) {
      setCurrent(prev);
      return g._die(false, e);
    }
    setCurrent(prev);
    if (r.done) return g._die(true, r.value);
    hasExc = false;
    exc = undefined;
    try {
      value = yield r.value;
    } catch (e) {
      exc = translate(task, e);
      hasExc = true;
    }
  }
}

/**
 * Creates a greenlet for `fn(...args)` and starts it (gevent's `spawn`): it
 * runs on the next loop pass. Inside `run()` it uses the running loop;
 * outside any loop the process-wide hub loop, which runs while greenlets are
 * alive.
 *
 * @example
 * ```ts
 * const g = spawn(function* (url: string) { yield* sleep(0.1); return `<page of ${url}>`; }, "https://example.com");
 * await g.join();
 * console.log(g.value); // "<page of https://example.com>"
 * ```
 */
export function spawn<F extends GreenletFunction>(
  fn: F,
  ...args: Parameters<F>
): Greenlet<GreenletResult<ReturnType<F>>> {
  const g = new Greenlet<GreenletResult<ReturnType<F>>>(fn, ...args);
  g.start();
  return g;
}

/**
 * Creates a greenlet for `fn(...args)` that starts `seconds` from now
 * (gevent's `spawn_later`).
 *
 * @example
 * ```ts
 * const g = spawnLater(0.5, function* () { return "later"; });
 * ```
 */
export function spawnLater<F extends GreenletFunction>(
  seconds: number,
  fn: F,
  ...args: Parameters<F>
): Greenlet<GreenletResult<ReturnType<F>>> {
  const g = new Greenlet<GreenletResult<ReturnType<F>>>(fn, ...args);
  g.startLater(seconds);
  return g;
}
