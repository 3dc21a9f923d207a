import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const file = path.join(h.tmp, "a.txt");
  fs.writeFileSync(file, "x");
  return [
    await h.callback(m.rmFile, file),
    await h.callback(m.rmFile, file),
    await h.callback(m.rmFile, 42),
    await h.callback(m.rmFile, h.tmp),
  ];
}
