// The jobs of the executor scenarios (bench/executors.ts), run in worker
// threads and child processes. Each has our form (arguments, then the
// signal) and piscina's (one task object) so the peers do the same work.

/** CPU-bound: naive Fibonacci. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The smallest job: the per-call overhead. */
export function add(a: number, b: number): number {
  return a + b;
}

/** piscina's form of {@link fib}. */
export function fibTask(task: { n: number }): number {
  return fib(task.n);
}

/** piscina's form of {@link add}. */
export function addTask(task: { a: number; b: number }): number {
  return task.a + task.b;
}

/** piscina loads a pool's module by its default export when a worker starts. */
export default fibTask;
