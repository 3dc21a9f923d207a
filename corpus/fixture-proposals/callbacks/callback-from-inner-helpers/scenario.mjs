import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const a = path.join(h.tmp, "a");
  fs.writeFileSync(a, "x");
  const b = path.join(h.tmp, "deep", "b");
  return [
    await h.callback(m.mv, a, b),
    await h.callback(m.mv, a, b, { mkdirp: true }),
    await h.callback(m.mv, b, path.join(h.tmp, "c")),
    fs.existsSync(path.join(h.tmp, "c")),
  ];
}
