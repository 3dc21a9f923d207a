// A worker module for the executors' TSDoc examples (see jobs.js).

/** A page rendered to HTML. */
export function render(page) {
  return `<h1>${page}</h1>`;
}
