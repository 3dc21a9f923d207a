import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const a = path.join(h.tmp, "a.txt");
  const b = path.join(h.tmp, "b.txt");
  fs.writeFileSync(a, "hello");
  return [
    await h.callback(m.move, a, b),
    await h.callback(m.move, a, b, { clobber: false }),
    await h.callback(m.move, path.join(h.tmp, "missing"), b),
  ];
}
