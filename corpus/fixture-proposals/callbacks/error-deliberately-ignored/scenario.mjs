import * as fs from "node:fs";
import * as path from "node:path";
export default async function (m, h) {
  const file = path.join(h.tmp, "a");
  fs.writeFileSync(file, "x");
  return [await h.callback(m.rm, file), await h.callback(m.rm, file), fs.existsSync(file)];
}
