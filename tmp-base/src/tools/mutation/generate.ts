/**
 * Mutant generation: realistic one-to-three-line bugs in a system's sources, found with the
 * TypeScript compiler API (syntax and types), sampled deterministically from a seed, and kept only
 * if they still type-check (a mutant that does not compile is a bug the compiler catches, not a
 * sweep; it is counted, never run).
 *
 * The operators are the mistakes a developer makes by accident (none is a bug-zoo variant):
 *  - boundary: `<` <-> `<=`, `>` <-> `>=` (off by one at a comparison);
 *  - negate-equality: `===` <-> `!==`;
 *  - and-or: `&&` <-> `||`;
 *  - drop-condition: `a && b` -> `a` or `b` (one half of a guard forgotten);
 *  - drop-negation: `!x` -> `x`;
 *  - off-by-one: `x + 1` -> `x`, `x - 1` -> `x`, a small integer literal n -> n + 1 or n - 1;
 *  - min-max: `Math.min` <-> `Math.max`;
 *  - flip-boolean: `true` <-> `false` as an argument, initialiser, property or return value;
 *  - drop-statement: a call, assignment or increment statement removed;
 *  - drop-guard: `if (c) return/continue/break/throw` removed;
 *  - early-return: `return;` added at the end of an if-branch of a void function (falls out
 *    instead of through);
 *  - break-continue: `continue` <-> `break`;
 *  - wrong-variable: a number/boolean/string property or local replaced by a sibling of the same
 *    type (`commitIndex` for `lastApplied`, `msg.term` for `this.term`);
 *  - skip-callback: `x.fsync(cb)` (or write/append/put/flush/persist/sync) -> `cb()` at once: the
 *    work after an I/O runs without waiting for it.
 *
 * Never mutated: bug-zoo code (anything under a condition naming `bug`/`bugs`/`buggy`), assertion
 * and logging calls (weakening an assertion or dropping a log line tests nothing about the sweep),
 * `throw` statements, type-only code.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import seedrandom from 'seedrandom';
import ts from 'typescript';

export interface Edit {
  /** Offsets in the original file text: [start, end) replaced by `text`. */
  start: number;
  end: number;
  text: string;
}

export interface Mutant {
  /** Stable within one (system, seed, sources): `<system>-<nnn>` by sample order. */
  id: string;
  /** Content hash of file + edits: the same mutant has the same key across runs. */
  key: string;
  system: string;
  file: string;
  /** 1-based line of the first edit. */
  line: number;
  operator: string;
  description: string;
  edits: Edit[];
  /** Zero-width inserts (applied with the edits when running) that count how often the mutated code runs. */
  probes: Edit[];
  /** The changed lines before and after (for reports), at most three. */
  before: string;
  after: string;
}

export type Candidate = Omit<Mutant, 'id'>;

/** The global a probe calls; the sweep child defines it, unit tests leave it undefined. */
export const HIT_FN = '__detsimMutantHit';
const HIT_CALL = `globalThis.${HIT_FN}?.()`;

const BUG_RE = /\b(bugs?|buggy)\b/;
const SKIP_CALL_RE = /^(assert\w*|invariant|log|trace|debug|metric\w*|probe|sometimes|reach\w*|expect)$/;
const IO_CALL_RE = /^(fsync|sync|flush|persist|write\w*|append\w*|put|save\w*)$/;

export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || (a.end - a.start) - (b.end - b.start));
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error(`overlapping edits at ${e.start}`);
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line;
}

/** The original and mutated text of the lines an edit touches (for reports). */
function describeLines(sf: ts.SourceFile, edits: Edit[]): { before: string; after: string; lines: number } {
  const text = sf.text;
  const first = Math.min(...edits.map((e) => e.start));
  const last = Math.max(...edits.map((e) => e.end));
  const startLine = lineOf(sf, first);
  const endLine = lineOf(sf, last);
  const lineStart = sf.getPositionOfLineAndCharacter(startLine, 0);
  const lineEnd = endLine + 1 < sf.getLineStarts().length ? sf.getPositionOfLineAndCharacter(endLine + 1, 0) : text.length;
  const before = text.slice(lineStart, lineEnd);
  const shifted = edits.map((e) => ({ start: e.start - lineStart, end: e.end - lineStart, text: e.text }));
  const after = applyEdits(before, shifted);
  const tidy = (s: string) => s.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).join(' / ');
  return { before: tidy(before), after: tidy(after), lines: endLine - startLine + 1 };
}

function isStatementList(parent: ts.Node): boolean {
  return ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent) || ts.isModuleBlock(parent);
}

/**
 * Probes for a mutation at `node`: a hit call that runs when the mutated code runs (as near as a
 * statement boundary allows): before the enclosing statement, or around an arrow function's
 * expression body. Semantics-preserving: the call has no effect but counting.
 */
function probesFor(node: ts.Node): Edit[] {
  let n: ts.Node = node;
  for (;;) {
    const parent = n.parent;
    if (!parent) return [];
    if (ts.isArrowFunction(parent) && parent.body === n && !ts.isBlock(n)) {
      return [
        { start: n.getStart(), end: n.getStart(), text: `(${HIT_CALL}, ` },
        { start: n.end, end: n.end, text: ')' },
      ];
    }
    if (ts.isClassElement(n) || ts.isSourceFile(parent)) return []; // module or class level: runs at load
    if (isStatement(n)) {
      if (isStatementList(parent)) return [{ start: n.getStart(), end: n.getStart(), text: `${HIT_CALL}; ` }];
      return [
        { start: n.getStart(), end: n.getStart(), text: `{ ${HIT_CALL}; ` },
        { start: n.end, end: n.end, text: ' }' },
      ];
    }
    n = parent;
  }
}

function isStatement(n: ts.Node): boolean {
  return ts.isExpressionStatement(n) || ts.isIfStatement(n) || ts.isReturnStatement(n) || ts.isVariableStatement(n) ||
    ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n) ||
    ts.isSwitchStatement(n) || ts.isBreakStatement(n) || ts.isContinueStatement(n) || ts.isThrowStatement(n);
}

/** True if a node sits in bug-zoo code, an assertion, a log call, a throw or a type. */
function excluded(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isIfStatement(n) || ts.isConditionalExpression(n)) {
      const cond = ts.isIfStatement(n) ? n.expression : n.condition;
      if (BUG_RE.test(cond.getText())) return true;
    }
    if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || n.operatorToken.kind === ts.SyntaxKind.BarBarToken) && BUG_RE.test(n.left.getText())) return true;
    if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      if (name && SKIP_CALL_RE.test(name)) return true;
    }
    if (ts.isThrowStatement(n) || ts.isTypeNode(n) || ts.isTypeAliasDeclaration(n) || ts.isInterfaceDeclaration(n) || ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return true;
    if (ts.isPropertyAssignment(n) && BUG_RE.test(n.name.getText())) return true;
    if (ts.isPropertyDeclaration(n) && BUG_RE.test(n.name.getText())) return true;
  }
  return BUG_RE.test(node.getText());
}

function calleeName(c: ts.CallExpression): string | null {
  const e = c.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return null;
}

function enclosingFunction(node: ts.Node): ts.SignatureDeclaration | null {
  for (let n = node.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n) || ts.isSetAccessor(n)) return n;
  }
  return null;
}

function isVoidFunction(fn: ts.SignatureDeclaration, checker: ts.TypeChecker): boolean {
  if (ts.isConstructorDeclaration(fn)) return true;
  if (ts.isGetAccessor(fn)) return false;
  if ((fn as ts.FunctionLikeDeclaration).asteriskToken) return false;
  const sig = checker.getSignatureFromDeclaration(fn);
  if (!sig) return false;
  const rt = checker.getReturnTypeOfSignature(sig);
  return (rt.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) !== 0;
}

function isLvalue(node: ts.Node): boolean {
  const p = node.parent;
  if (ts.isBinaryExpression(p) && p.left === node && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment) return true;
  if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return true;
  return false;
}

const PRIMITIVE = ts.TypeFlags.Number | ts.TypeFlags.Boolean | ts.TypeFlags.String | ts.TypeFlags.BigInt;

function primitiveTypeKey(t: ts.Type, checker: ts.TypeChecker): string | null {
  // Literal types widen (a `const x = 3` is a number like any other).
  const w = checker.getBaseTypeOfLiteralType(t);
  if ((w.flags & PRIMITIVE) === 0 && !(w.flags & ts.TypeFlags.BooleanLiteral) && !(w.isUnion() && w.types.every((x) => x.flags & ts.TypeFlags.BooleanLiteral))) return null;
  return checker.typeToString(w);
}

/** Every candidate mutant of one file, in source order. */
export function candidatesOf(system: string, file: string, sf: ts.SourceFile, checker: ts.TypeChecker): Candidate[] {
  const out: Candidate[] = [];
  const add = (node: ts.Node, operator: string, description: string, edits: Edit[]) => {
    const d = describeLines(sf, edits);
    if (d.lines > 3) return;
    const key = createHash('sha256').update(`${file}\n${JSON.stringify(edits)}`).digest('hex').slice(0, 12);
    out.push({ key, system, file, line: lineOf(sf, Math.min(...edits.map((e) => e.start))) + 1, operator, description, edits, probes: probesFor(node), before: d.before, after: d.after });
  };
  const replaceToken = (tok: ts.Node, text: string): Edit => ({ start: tok.getStart(), end: tok.end, text });

  const visit = (node: ts.Node): void => {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isImportDeclaration(node)) return;
    if (!excluded(node)) candidatesAt(node);
    ts.forEachChild(node, visit);
  };

  const candidatesAt = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken;
      const K = ts.SyntaxKind;
      const swap: Partial<Record<ts.SyntaxKind, [string, string]>> = {
        [K.LessThanToken]: ['<=', 'boundary'], [K.LessThanEqualsToken]: ['<', 'boundary'],
        [K.GreaterThanToken]: ['>=', 'boundary'], [K.GreaterThanEqualsToken]: ['>', 'boundary'],
        [K.EqualsEqualsEqualsToken]: ['!==', 'negate-equality'], [K.ExclamationEqualsEqualsToken]: ['===', 'negate-equality'],
        [K.AmpersandAmpersandToken]: ['||', 'and-or'], [K.BarBarToken]: ['&&', 'and-or'],
      };
      const s = swap[op.kind];
      if (s) add(node, s[1], `\`${op.getText()}\` -> \`${s[0]}\``, [replaceToken(op, s[0])]);
      if (op.kind === K.AmpersandAmpersandToken || op.kind === K.BarBarToken) {
        add(node, 'drop-condition', `\`${clip(node.getText())}\` -> left side only`, [{ start: node.left.end, end: node.end, text: '' }]);
        add(node, 'drop-condition', `\`${clip(node.getText())}\` -> right side only`, [{ start: node.getStart(), end: node.right.getStart(), text: '' }]);
      }
      if ((op.kind === K.PlusToken || op.kind === K.MinusToken) && ts.isNumericLiteral(node.right) && node.right.text === '1') {
        add(node, 'off-by-one', `\`${clip(node.getText())}\` -> without \`${op.getText()} 1\``, [{ start: node.left.end, end: node.end, text: '' }]);
      }
    }
    if (ts.isNumericLiteral(node) && /^\d$|^10$/.test(node.text)) {
      const p = node.parent;
      const inArith = ts.isBinaryExpression(p) && p.operatorToken.kind !== ts.SyntaxKind.EqualsToken;
      const isPlusMinusOne = ts.isBinaryExpression(p) && (p.operatorToken.kind === ts.SyntaxKind.PlusToken || p.operatorToken.kind === ts.SyntaxKind.MinusToken) && node.text === '1';
      if (inArith && !isPlusMinusOne) {
        const n = Number(node.text);
        add(node, 'off-by-one', `\`${node.text}\` -> \`${n + 1}\``, [replaceToken(node, String(n + 1))]);
        if (n > 0) add(node, 'off-by-one', `\`${node.text}\` -> \`${n - 1}\``, [replaceToken(node, String(n - 1))]);
      }
    }
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken && !ts.isPrefixUnaryExpression(node.operand)) {
      add(node, 'drop-negation', `\`${clip(node.getText())}\` -> without \`!\``, [{ start: node.getStart(), end: node.operand.getStart(), text: '' }]);
    }
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Math' && (node.name.text === 'min' || node.name.text === 'max')) {
      const other = node.name.text === 'min' ? 'max' : 'min';
      add(node, 'min-max', `\`Math.${node.name.text}\` -> \`Math.${other}\``, [replaceToken(node.name, other)]);
    }
    if ((node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword)) {
      const p = node.parent;
      if (ts.isCallExpression(p) || ts.isNewExpression(p) || ts.isPropertyAssignment(p) || ts.isVariableDeclaration(p) || ts.isReturnStatement(p) || ts.isPropertyDeclaration(p) || (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken)) {
        const t = node.kind === ts.SyntaxKind.TrueKeyword ? 'false' : 'true';
        add(node, 'flip-boolean', `\`${node.getText()}\` -> \`${t}\``, [replaceToken(node, t)]);
      }
    }
    if (ts.isExpressionStatement(node)) {
      const e = node.expression;
      const droppable = ts.isCallExpression(e) || ts.isBinaryExpression(e) && e.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && e.operatorToken.kind <= ts.SyntaxKind.LastAssignment ||
        ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e) && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken);
      if (droppable && !(ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.SuperKeyword)) {
        add(node, 'drop-statement', `\`${clip(node.getText())}\` removed`, [{ start: node.getStart(), end: node.end, text: isStatementList(node.parent) ? '' : '{}' }]);
      }
      if (ts.isCallExpression(e)) {
        const name = calleeName(e);
        const cb = e.arguments[e.arguments.length - 1];
        // Only callbacks that take nothing or an error: called with null, "it worked".
        const errOnly = cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) && (cb.parameters.length === 0 || cb.parameters.length === 1 && /^(err|error|e)$/.test(cb.parameters[0]!.name.getText()));
        if (name && IO_CALL_RE.test(name) && cb && errOnly) {
          add(node, 'skip-callback', `\`${name}(...)\` skipped: its callback runs at once`, [
            { start: e.getStart(), end: cb.getStart(), text: '(' },
            { start: cb.end, end: e.end, text: `)(${cb.parameters.length ? 'null as never' : ''})` },
          ]);
        }
      }
    }
    if (ts.isIfStatement(node) && !node.elseStatement) {
      const t = node.thenStatement;
      const only = ts.isBlock(t) ? (t.statements.length === 1 ? t.statements[0]! : null) : t;
      if (only && (ts.isReturnStatement(only) || ts.isContinueStatement(only) || ts.isBreakStatement(only)) && isStatementList(node.parent)) {
        add(node, 'drop-guard', `guard \`${clip(node.getText())}\` removed`, [{ start: node.getStart(), end: node.end, text: '' }]);
      }
      if (ts.isBlock(t) && t.statements.length > 0) {
        const last = t.statements[t.statements.length - 1]!;
        const fn = enclosingFunction(node);
        const endsFlow = ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isContinueStatement(last) || ts.isBreakStatement(last);
        const hasFollower = isStatementList(node.parent) && (node.parent as ts.Block).statements.indexOf(node) < (node.parent as ts.Block).statements.length - 1;
        if (!endsFlow && hasFollower && fn && isVoidFunction(fn, checker)) {
          add(last, 'early-return', `\`return;\` after \`${clip(last.getText())}\` (skips the rest of the function)`, [{ start: last.end, end: last.end, text: ' return;' }]);
        }
      }
    }
    if (ts.isContinueStatement(node) && !node.label) add(node, 'break-continue', '`continue` -> `break`', [{ start: node.getStart(), end: node.end, text: 'break;' }]);
    if (ts.isBreakStatement(node) && !node.label && !inSwitch(node)) add(node, 'break-continue', '`break` -> `continue`', [{ start: node.getStart(), end: node.end, text: 'continue;' }]);
    wrongVariable(node);
  };

  const wrongVariable = (node: ts.Node): void => {
    if (!(ts.isPropertyAccessExpression(node) || ts.isIdentifier(node))) return;
    const p = node.parent;
    if (isLvalue(node)) return;
    if (ts.isIdentifier(node)) {
      if (ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p) && p.name === node || ts.isShorthandPropertyAssignment(p) || ts.isVariableDeclaration(p) && p.name === node ||
        ts.isParameter(p) || ts.isCallExpression(p) && p.expression === node || ts.isBindingElement(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) ||
        ts.isFunctionDeclaration(p) || ts.isClassDeclaration(p) || ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isTypeReferenceNode(p) || ts.isQualifiedName(p) || ts.isLabeledStatement(p) ||
        ts.isBreakOrContinueStatement(p) || ts.isPropertySignature(p) || ts.isEnumMember(p) || ts.isNamespaceImport(p) || ts.isImportClause(p)) return;
    } else if (ts.isCallExpression(p) && p.expression === node) return;
    let type: ts.Type;
    try {
      type = checker.getTypeAtLocation(node);
    } catch {
      return;
    }
    const key = primitiveTypeKey(type, checker);
    if (!key) return;
    const alternatives: string[] = [];
    if (ts.isPropertyAccessExpression(node)) {
      const objType = checker.getTypeAtLocation(node.expression);
      for (const prop of checker.getPropertiesOfType(objType)) {
        if (prop.name === node.name.text) continue;
        const decl = prop.valueDeclaration;
        if (!decl || !(ts.isPropertyDeclaration(decl) || ts.isPropertySignature(decl) || ts.isParameter(decl) || ts.isPropertyAssignment(decl))) continue;
        const mods = ts.canHaveModifiers(decl) ? ts.getModifiers(decl) ?? [] : [];
        if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword) && decl.getSourceFile() !== sf) continue;
        if (ts.isPrivateIdentifier((decl as ts.NamedDeclaration).name as ts.Node)) continue;
        const pt = checker.getTypeOfSymbolAtLocation(prop, node);
        if (primitiveTypeKey(pt, checker) === key && !(pt.flags & ts.TypeFlags.Undefined)) alternatives.push(prop.name);
      }
      alternatives.sort();
      for (const alt of pick(alternatives, node.name.text)) {
        if (!/^[A-Za-z_$][\w$]*$/.test(alt)) continue;
        add(node, 'wrong-variable', `\`${clip(node.getText())}\` -> \`.${alt}\``, [replaceToken(node.name, alt)]);
      }
    } else {
      const fn = enclosingFunction(node);
      if (!fn) return;
      const sym = checker.getSymbolAtLocation(node);
      if (!sym || !(sym.flags & (ts.SymbolFlags.Variable)) || !sym.valueDeclaration || enclosingFunction(sym.valueDeclaration) !== fn && !(ts.isParameter(sym.valueDeclaration) && sym.valueDeclaration.parent === fn)) return;
      for (const s of checker.getSymbolsInScope(node, ts.SymbolFlags.Variable)) {
        const d = s.valueDeclaration;
        if (!d || s.name === node.text || d.getSourceFile() !== sf) continue;
        const local = (ts.isParameter(d) && d.parent === fn) || (ts.isVariableDeclaration(d) && enclosingFunction(d) === fn && d.end < node.getStart());
        if (!local) continue;
        const st = checker.getTypeOfSymbolAtLocation(s, node);
        if (primitiveTypeKey(st, checker) === key && !(st.flags & ts.TypeFlags.Undefined)) alternatives.push(s.name);
      }
      alternatives.sort();
      for (const alt of pick(alternatives, node.text)) add(node, 'wrong-variable', `\`${node.text}\` -> \`${alt}\``, [replaceToken(node, alt)]);
    }
  };

  visit(sf);
  return out;
}

/** At most two alternatives per site (by a hash of the name, so the choice is stable), lest one class dominate the pool. */
function pick(alts: string[], name: string): string[] {
  if (alts.length <= 2) return alts;
  const h = createHash('sha256').update(name).digest().readUInt32BE(0);
  const a = alts[h % alts.length]!;
  const b = alts[(h + 1 + (h >> 8) % (alts.length - 1)) % alts.length]!;
  return a === b ? [a] : [a, b];
}

function inSwitch(node: ts.Node): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (ts.isSwitchStatement(n)) return true;
    if (ts.isIterationStatement(n, false) || ts.isFunctionLike(n)) return false;
  }
  return false;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

/**
 * A mutant written by hand (for tests and for reproducing a reported one): replaces the
 * `occurrence`-th (0-based) match of `find` in `file` with `replace`, with the probes the
 * generator would give it.
 */
export function handMutant(system: string, root: string, file: string, find: string, replace: string, occurrence = 0): Mutant {
  const text = readFileSync(path.join(root, file), 'utf8');
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = text.indexOf(find, at + 1);
    if (at < 0) throw new Error(`${file}: "${find}" not found (occurrence ${occurrence})`);
  }
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  let node: ts.Node = sf;
  const descend = (n: ts.Node): void => {
    ts.forEachChild(n, (c) => {
      if (c.getStart() <= at && at < c.end) {
        node = c;
        descend(c);
      }
    });
  };
  descend(sf);
  const edits = [{ start: at, end: at + find.length, text: replace }];
  const d = describeLines(sf, edits);
  const key = createHash('sha256').update(`${file}\n${JSON.stringify(edits)}`).digest('hex').slice(0, 12);
  return { id: `${system}-hand`, key, system, file, line: lineOf(sf, at) + 1, operator: 'hand', description: `\`${find}\` -> \`${replace}\``, edits, probes: probesFor(node), before: d.before, after: d.after };
}

function compilerOptions(root: string): ts.CompilerOptions {
  const cfgPath = path.join(root, 'tsconfig.json');
  const cfg = ts.readConfigFile(cfgPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

/**
 * A type-checker for one system's files that can re-check a file with a mutant applied. The
 * first program costs seconds; each re-check reuses every unchanged file of it.
 */
export class MutantTypeChecker {
  private readonly options: ts.CompilerOptions;
  private readonly host: ts.CompilerHost;
  private readonly overrides = new Map<string, string>();
  private base: ts.Program;

  constructor(readonly root: string, readonly files: string[]) {
    this.options = compilerOptions(root);
    const host = ts.createCompilerHost(this.options, true);
    const getSourceFile = host.getSourceFile.bind(host);
    const cache = new Map<string, ts.SourceFile>();
    host.getSourceFile = (fileName, lang, onError, create) => {
      const o = this.overrides.get(path.resolve(fileName));
      if (o !== undefined) return ts.createSourceFile(fileName, o, lang, true);
      const hit = cache.get(fileName);
      if (hit) return hit;
      const sf = getSourceFile(fileName, lang, onError, create);
      if (sf) cache.set(fileName, sf);
      return sf;
    };
    this.host = host;
    this.base = ts.createProgram(files.map((f) => path.join(root, f)), this.options, host);
  }

  program(): ts.Program {
    return this.base;
  }

  /** Type errors of `file` with `text` in place of its contents ([] = compiles). */
  errorsWith(file: string, text: string): string[] {
    const abs = path.resolve(this.root, file);
    this.overrides.set(abs, text);
    try {
      const prog = ts.createProgram(this.files.map((f) => path.join(this.root, f)), this.options, this.host, this.base);
      const sf = prog.getSourceFile(abs);
      if (!sf) return [`${file}: not in the program`];
      const diags = [...prog.getSyntacticDiagnostics(sf), ...prog.getSemanticDiagnostics(sf)];
      return diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    } finally {
      this.overrides.delete(abs);
    }
  }
}

/** Hash of this generator's own source: results measured with another generator are not resumed. */
export function generatorHash(): string {
  return createHash('sha256').update(readFileSync(new URL(import.meta.url), 'utf8')).digest('hex').slice(0, 12);
}

export interface Sample {
  /** Candidates in the whole pool (every operator, every file). */
  pool: number;
  /** Sampled mutants that type-check, in sample order, `mutants` of them at most. */
  mutants: Mutant[];
  /** Sampled candidates rejected by the type-checker before `mutants` were found. */
  notCompiling: { key: string; file: string; line: number; operator: string; description: string; error: string }[];
  /** Hash of the sources' contents: a resumed run must see the same sources. */
  sourcesHash: string;
}

/** Every candidate of a system, sorted by file then position then description (the pool a seed samples from). */
export function candidatePool(system: string, files: string[], tc: MutantTypeChecker): Candidate[] {
  const prog = tc.program();
  const checker = prog.getTypeChecker();
  const out: Candidate[] = [];
  for (const f of files) {
    const sf = prog.getSourceFile(path.join(tc.root, f));
    if (!sf) throw new Error(`${f}: not found by the TypeScript program`);
    out.push(...candidatesOf(system, f, sf, checker));
  }
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.key) ? false : (seen.add(c.key), true)));
}

/**
 * Draws `count` mutants that type-check from the pool, in an order fixed by `seed`: the same
 * seed and sources give the same mutants, and a larger count extends a smaller one's list.
 */
export function sampleMutants(system: string, files: string[], root: string, seed: number, count: number): Sample {
  const tc = new MutantTypeChecker(root, files);
  const pool = candidatePool(system, files, tc);
  const rng = seedrandom.alea(`mutation:${system}:${seed}`);
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const texts = new Map<string, string>();
  const textOf = (f: string) => {
    let t = texts.get(f);
    if (t === undefined) texts.set(f, (t = readFileSync(path.join(root, f), 'utf8')));
    return t;
  };
  const mutants: Mutant[] = [];
  const notCompiling: Sample['notCompiling'] = [];
  for (const i of order) {
    if (mutants.length >= count) break;
    const c = pool[i]!;
    const errors = tc.errorsWith(c.file, applyEdits(textOf(c.file), c.edits));
    if (errors.length > 0) {
      notCompiling.push({ key: c.key, file: c.file, line: c.line, operator: c.operator, description: c.description, error: errors[0]!.slice(0, 200) });
      continue;
    }
    mutants.push({ id: `${system}-${String(mutants.length + 1).padStart(3, '0')}`, ...c });
  }
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(textOf(f)).update('\0');
  h.update(generatorHash());
  return { pool: pool.length, mutants, notCompiling, sourcesHash: h.digest('hex').slice(0, 16) };
}
