import * as path from "node:path";
export default async function (m, h) {
  const f = path.join(h.tmp, "f");
  let sync;
  try {
    sync = { returned: m.touchSync(f) };
  } catch (e) {
    sync = { threw: String(e) };
  }
  return [sync, await h.callback(m.touch, f), await h.callback(m.touch, path.join(h.tmp, "no", "f"))];
}
