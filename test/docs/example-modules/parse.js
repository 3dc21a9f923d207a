// A worker module for the executors' TSDoc examples (see jobs.js).

/** A JSON document parsed. */
export function parse(text) {
  return JSON.parse(text);
}
