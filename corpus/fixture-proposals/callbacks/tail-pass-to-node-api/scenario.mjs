import * as path from "node:path";
export default async function (m, h) {
  const file = path.join(h.tmp, "a.txt");
  return [
    await h.callback(m.save, file, "x"),
    await h.callback(m.remove, file),
    await h.callback(m.remove, file),
    await h.callback(m.save, path.join(h.tmp, "no", "dir"), "x"),
  ];
}
