// Worker modules for the executors' TSDoc examples (`target("./jobs.js", "fib", import.meta.url)`): the harness
// copies this folder next to the generated examples (.examples/), where their `import.meta.url` points. Plain
// JavaScript, as a published worker module is: on Node 20, tsx's loader hooks do not reach worker threads.

/** The n-th Fibonacci number, computed the slow way (a CPU-bound job). */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
