import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const src = path.join(h.tmp, "a.txt");
  fs.writeFileSync(src, "hello");
  return [
    await h.callback(m.copyFile, src, path.join(h.tmp, "x", "y", "b.txt")),
    await h.callback(m.copyFile, path.join(h.tmp, "missing"), path.join(h.tmp, "c.txt")),
    await h.callback(m.copyFile, src, path.join(src, "under-a-file")),
  ];
}
