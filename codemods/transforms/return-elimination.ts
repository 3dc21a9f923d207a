// A `.then` handler that returns from several places (TypeScript issue #40040's shape), inlined before the
// chain's next link: its returns become assignments to one result variable, and the code after an `if` that
// returns moves into that `if`'s `else`, so nothing runs that the handler would have skipped.
//
//   .then((res) => { if (!res.ok) return null; return res.json(); })
//   →  let result; if (!res.ok) { result = null; } else { result = res.json(); }
//
// Only structured returns are eliminated: in `if`/`else` branches and blocks. A return inside a loop, a
// switch, a try or a labelled statement keeps the chain refused (CONDITIONAL_RETURN).
import { ts } from "ts-morph";
import { indentAt, shiftIndent } from "../core.js";
import { Refusal } from "../reasons.js";

function containsReturn(n: ts.Node): boolean {
  if (ts.isReturnStatement(n)) return true;
  if (ts.isFunctionLike(n) || ts.isClassLike(n)) return false;
  return ts.forEachChild(n, (c) => (containsReturn(c) ? true : undefined)) === true;
}

function blockStatements(s: ts.Statement): readonly ts.Statement[] {
  return ts.isBlock(s) ? s.statements : [s];
}

/** Every path through these statements ends in a return or a throw. */
function alwaysEnds(stmts: readonly ts.Statement[]): boolean {
  const last = stmts[stmts.length - 1];
  if (!last) return false;
  if (ts.isReturnStatement(last) || ts.isThrowStatement(last)) return true;
  if (ts.isBlock(last)) return alwaysEnds(last.statements);
  if (ts.isIfStatement(last) && last.elseStatement)
    return alwaysEnds(blockStatements(last.thenStatement)) && alwaysEnds(blockStatements(last.elseStatement));
  return false;
}

/** Whether a handler body's returns can all be eliminated (so the rewrite below will not refuse). */
export function returnsEliminable(stmts: readonly ts.Statement[]): boolean {
  try {
    new ReturnEliminator(stmts[0]?.getSourceFile() as ts.SourceFile, "  ", "r").statements(stmts, "");
    return true;
  } catch (e) {
    if (e instanceof Refusal) return false;
    throw e;
  }
}

/** Renders a handler body with its returns turned into `target = value;`. */
export class ReturnEliminator {
  constructor(
    private readonly sf: ts.SourceFile,
    private readonly unit: string,
    private readonly target: string,
  ) {}

  private plain(s: ts.Statement, indent: string): string {
    const comments = ts.getLeadingCommentRanges(this.sf.text, s.pos);
    const start = comments?.length ? comments[0].pos : s.getStart(this.sf);
    const text = this.sf.text.slice(start, s.end);
    return `${indent}${shiftIndent(text, indentAt(this.sf.text, start), indent)}\n`;
  }

  private branch(stmts: readonly ts.Statement[], indent: string): string {
    return `{\n${this.statements(stmts, indent + this.unit)}${indent}}`;
  }

  /** The statements, at `indent`, delivering the handler's value to the target. */
  statements(stmts: readonly ts.Statement[], indent: string): string {
    let out = "";
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      if (!containsReturn(s)) {
        out += this.plain(s, indent);
        continue;
      }
      const rest = stmts.slice(i + 1);
      if (ts.isReturnStatement(s)) {
        const value = s.expression ? s.expression.getText(this.sf) : "undefined";
        return `${out}${indent}${this.target} = ${value};\n`; // what follows is unreachable
      }
      if (ts.isBlock(s)) return out + this.statements([...s.statements, ...rest], indent);
      if (!ts.isIfStatement(s)) throw new Refusal("CONDITIONAL_RETURN", "a return inside a loop, switch or try");
      const cond = s.expression.getText(this.sf);
      const thenStmts = blockStatements(s.thenStatement);
      const elseStmts = s.elseStatement ? blockStatements(s.elseStatement) : [];
      const thenEnds = alwaysEnds(thenStmts);
      const elseEnds = s.elseStatement ? alwaysEnds(elseStmts) : false;
      // The code after the `if` runs where a branch falls through; only one branch may (no code is copied).
      let thenPart: readonly ts.Statement[];
      let elsePart: readonly ts.Statement[];
      if (thenEnds && elseEnds) {
        if (rest.some((r) => !ts.isEmptyStatement(r)))
          throw new Refusal("CONDITIONAL_RETURN", "unreachable code after an if whose branches both return");
        thenPart = thenStmts;
        elsePart = elseStmts;
      } else if (thenEnds) {
        thenPart = thenStmts;
        elsePart = [...elseStmts, ...rest];
      } else if (elseEnds || (!s.elseStatement && !containsReturn(s.thenStatement))) {
        thenPart = [...thenStmts, ...rest];
        elsePart = elseStmts;
      } else throw new Refusal("CONDITIONAL_RETURN", "both branches of an if may fall through after a return");
      out += `${indent}if (${cond}) ${this.branch(thenPart, indent)}`;
      out += elsePart.length ? ` else ${this.branch(elsePart, indent)}\n` : "\n";
      return out;
    }
    return out;
  }
}
