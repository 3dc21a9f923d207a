// Where a site found inside an earlier pass's rewrite is reported (codemods/core.ts locateCopied): at the code
// the rewrite copied, when that code is found exactly once in the replaced range, white space aside.
import test from "ava";
import fc from "fast-check";
import { applyEdits, type Edit, locateCopied } from "../../codemods/core.js";

const before = "function f(cb) {\n  run(function (next) {\n    step(next)\n  })\n}\n";
const body = { start: before.indexOf("run("), end: before.lastIndexOf("})") + 2 };

test("copied code re-indented is found where it was written", (t) => {
  const edits: Edit[] = [
    { ...body, text: "return wrap(async () => {\n      run(function (next) {\n          step(next)\n      })\n    })" },
  ];
  const after = applyEdits(before, edits);
  const got = locateCopied(after.indexOf("function (next)"), edits, before, after);
  t.is(got, before.indexOf("function (next)"));
});

test("new code, or a snippet found twice, maps to nothing", (t) => {
  const edits: Edit[] = [{ ...body, text: "await somethingElseEntirely(1, 2, 3)" }];
  const after = applyEdits(before, edits);
  t.is(locateCopied(after.indexOf("somethingElse"), edits, before, after), undefined);
  const twice = "a(function (next) { step(next) }); b(function (next) { step(next) });";
  const e2: Edit[] = [{ start: 0, end: twice.length, text: `x; function (next) { step(next) }` }];
  const after2 = applyEdits(twice, e2);
  t.is(locateCopied(after2.indexOf("function"), e2, twice, after2), undefined);
});

test("a position outside every replacement maps to nothing", (t) => {
  const edits: Edit[] = [{ ...body, text: "x()" }];
  const after = applyEdits(before, edits);
  t.is(locateCopied(0, edits, before, after), undefined);
});

test("property: a copied line keeps its position whatever the new indentation", (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z]{3,8}\(\d{1,3}\)$/), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.nat({ max: 6 }),
      (calls, pick, indent) => {
        const lines = calls.map((c, i) => `${c}; /* ${i} */`);
        const text = `start();\n${lines.join("\n")}\nend();\n`;
        const from = text.indexOf("\n") + 1;
        const to = text.lastIndexOf("end();");
        const pad = " ".repeat(indent);
        const edits: Edit[] = [{ start: from, end: to, text: `{\n${lines.map((l) => pad + l).join("\n")}\n}\n` }];
        const after = applyEdits(text, edits);
        const k = pick % lines.length;
        const got = locateCopied(after.indexOf(lines[k]!), edits, text, after);
        return got === text.indexOf(lines[k]!);
      },
    ),
  );
  t.pass();
});
