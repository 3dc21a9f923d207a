// Renaming a continuation's parameters when flattening would make them collide with a name the
// enclosing function already uses (`fs.readFile(head, …, function (er, head) {…})`).
import { ts } from "ts-morph";
import { applyEdits, type Edit, isPropertyName, scriptKindOf } from "../../core.js";

/**
 * Renames every reference to the names of `renames` in `text`, a run of statements parsed alone.
 * The caller guarantees that nothing inside the text declares those names again (no nested scope
 * shadows them), so each reference means the renamed binding. `{ head }` becomes `{ head: head1 }`.
 */
export function renameReferences(text: string, renames: ReadonlyMap<string, string>, fileName: string): string {
  if (renames.size === 0) return text;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKindOf(fileName));
  const edits: Edit[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && renames.has(n.text) && !isPropertyName(n)) {
      const to = renames.get(n.text)!;
      const shorthand = ts.isShorthandPropertyAssignment(n.parent) && n.parent.name === n;
      edits.push({ start: n.getStart(sf), end: n.end, text: shorthand ? `${n.text}: ${to}` : to });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return applyEdits(text, edits);
}

/** A direct `eval(…)` or a `with` statement: names inside are resolved at run time, so none may be renamed. */
export function usesEval(root: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (
      ts.isWithStatement(n) ||
      (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "eval")
    )
      found = true;
    else ts.forEachChild(n, visit);
  };
  visit(root);
  return found;
}
