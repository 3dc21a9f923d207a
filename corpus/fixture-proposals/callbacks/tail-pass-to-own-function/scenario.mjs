import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const from = path.join(h.tmp, "prog");
  fs.writeFileSync(from, "x");
  return [
    await h.callback(m.shim, from, path.join(h.tmp, "prog.sh")),
    await h.callback(m.shim, path.join(h.tmp, "missing"), path.join(h.tmp, "x.sh")),
    await h.callback(m.shim, from, path.join(h.tmp, "no", "dir", "x.sh")),
  ];
}
