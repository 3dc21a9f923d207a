// docs/codemods.md documents every reason code and every transform.
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { REASONS, TRANSFORM_NAMES } from "../../codemods/index.js";

const doc = fs.readFileSync(path.resolve(import.meta.dirname, "../../docs/codemods.md"), "utf8");

test("every reason code has an entry in docs/codemods.md", (t) => {
  const missing = Object.keys(REASONS).filter((code) => !doc.includes(`**\`${code}\`**`));
  t.deepEqual(missing, []);
});

test("every transform has a section in docs/codemods.md", (t) => {
  t.deepEqual(
    TRANSFORM_NAMES.filter((n) => !doc.includes(`## Transform \`${n}\``)),
    [],
  );
});
