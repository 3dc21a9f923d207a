// The progress bar of `migrate` on a terminal (codemods/cli.ts): one bar per round, over the files that
// round migrates (later rounds redo only the files whose cross-file knowledge changed), so that its
// counts never pass the round's total and end at it. Off a terminal, and with --no-progress, no bar.
import test from "ava";
import { CONVERTIBLE, project, run, sink, ttySink } from "./cli-harness.js";

/** Callers of a.js's `size` (a second round awaits it), and files that need no second round. */
const caller = (name: string) => `var a = require('./a');

function ${name}(p, cb) {
  a.size(p, function (err, n) {
    if (err) return cb(err);
    cb(null, n * 2);
  });
}

module.exports = { ${name} };
`;
const alone = (name: string) => `function ${name}(x) {
  return x + 1;
}

module.exports = { ${name} };
`;
const FILES = {
  "a.js": CONVERTIBLE,
  "b.js": caller("twice"),
  "c.js": caller("thrice"),
  "d.js": alone("d"),
  "e.js": alone("e"),
  "f.js": alone("f"),
  "g.js": alone("g"),
};

/** A drawing of the bar (not the summary line). */
const BAR = /migrate (round \d+ )?\[/;

/** The bar's drawings, in order (the terminal's escape sequences dropped; `round` 0: a bar without one). */
function drawings(stderr: string): { round: number; value: number; total: number }[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escapes cli-progress and readline write
  const plain = stderr.replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g, "\n");
  return [...plain.matchAll(/migrate (?:round (\d+) )?\[[^\]]*\] (\d+)\/(\d+) files/g)].map((m) => ({
    round: Number(m[1] ?? 0),
    value: Number(m[2]),
    total: Number(m[3]),
  }));
}

/**
 * Runs `f` with a clock that moves on a second at each reading: cli-progress redraws on an update only when
 * 200 ms have passed since its last drawing, so that the bar draws every count it is given.
 */
async function withFastClock<T>(f: () => Promise<T>): Promise<T> {
  const now = Date.now;
  let t = now();
  Date.now = () => (t += 1000);
  try {
    return await f();
  } finally {
    Date.now = now;
  }
}

for (const jobs of ["1", "2"]) {
  test.serial(
    `on a terminal, each round's bar counts that round's files, up to its total (--jobs ${jobs})`,
    async (t) => {
      const dir = project(FILES);
      const err = ttySink();
      const r = await withFastClock(() => run(dir, [".", "--jobs", jobs], { stderr: err.stream }));
      t.is(r.code, 0, err.text());
      const drawn = drawings(err.text());
      const rounds = [...new Set(drawn.map((d) => d.round))];
      for (const n of rounds) {
        const mine = drawn.filter((d) => d.round === n);
        const total = mine[0]!.total;
        for (const [i, d] of mine.entries()) {
          t.is(d.total, total, `round ${n}: one total`);
          t.true(d.value >= 0 && d.value <= total, `round ${n}: ${d.value}/${d.total} within the total`);
          if (i > 0)
            t.true(d.value >= mine[i - 1]!.value, `round ${n}: ${mine.map((m) => m.value)}: the count goes back`);
        }
        t.is(mine.at(-1)!.value, total, `round ${n} ends at its total`);
        t.true(mine.length > total, `round ${n}: every count drawn, from 0`);
      }
      t.deepEqual(rounds, [1, 2], `two rounds, in order:\n${JSON.stringify(drawn)}`);
      const totals = rounds.map((n) => drawn.find((d) => d.round === n)!.total);
      t.deepEqual(totals, [Object.keys(FILES).length, 2], "round 1: every file; round 2: the two callers of a.js");
      t.is(r.stdout.match(/const n = await started;/g)?.length, 2, "round 2 did convert the two callers");
    },
  );
}

test("no bar off a terminal, nor with --no-progress", async (t) => {
  const dir = project(FILES);
  const plain = sink();
  await run(dir, ["."], { stderr: plain.stream });
  t.notRegex(plain.text(), BAR);
  const tty = ttySink();
  await run(dir, [".", "--no-progress"], { stderr: tty.stream });
  t.notRegex(tty.text(), BAR);
});
