import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const file = path.join(h.tmp, "f");
  const dir = path.join(h.tmp, "d");
  fs.writeFileSync(file, "x");
  fs.mkdirSync(dir);
  return [
    await h.callback(m.remove, file),
    await h.callback(m.remove, dir),
    await h.callback(m.remove, path.join(h.tmp, "missing")),
  ];
}
