/**
 * RGA (Replicated Growable Array, Roh et al. 2011) for collaborative text, in its tree form:
 * every character is a node with a unique id (Lamport counter, replica) and the id of the node it
 * was inserted after (its parent; null for the start of the text). The text is a pre-order walk
 * of that tree with each node's children visited greatest id first. Ids of later inserts are
 * greater (the Lamport counter exceeds every id the inserter has seen), so a fresh insert lands
 * right after its parent, and concurrent inserts after one parent come out in the same order on
 * every replica (by id, with the replica id breaking ties), whatever order they arrived in.
 *
 * Removal keeps the node as a tombstone: later inserts may still name it as their parent. The
 * state is a set of nodes joined by union (removed = either side removed), so any delivery order
 * and any duplication converge. A node that arrives before its parent waits, invisible, until
 * the parent arrives.
 */
import { assert } from '../../sim/assert.ts';
import { COUNTER_BYTES, utf8Bytes } from './size.ts';

/** A character's id: a Lamport counter and the inserting replica. */
export interface RgaId {
  readonly counter: number;
  readonly replica: string;
}

/** One character node. Plain data. */
export interface RgaNode {
  id: RgaId;
  /** The node this one was inserted after; null for the start of the text. */
  parent: RgaId | null;
  /** One character (a UTF-16 string of any length is accepted and kept whole). */
  char: string;
  removed: boolean;
}

/** Plain-data form of an RGA state or delta: nodes sorted by id. */
export interface RgaData {
  nodes: RgaNode[];
}

/** Order of ids: counter, then replica. Greater ids sort first among siblings. */
export function compareRgaIds(a: RgaId, b: RgaId): number {
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0;
}

/** A node as held inside a replica: its map key cached, because the text walk visits every node. */
interface HeldNode extends RgaNode {
  key: string;
}

function idKey(id: RgaId | null): string {
  return id === null ? '' : `${id.counter}\u0000${id.replica}`;
}

/** A collaborative text sequence owned by one replica. */
export class Rga {
  readonly replicaId: string;
  private readonly nodes: Map<string, HeldNode> = new Map();
  /** parent key -> child nodes, greatest id first. */
  private readonly children: Map<string, HeldNode[]> = new Map();
  private maxCounter = 0;

  constructor(replicaId: string, data?: RgaData) {
    this.replicaId = replicaId;
    if (data !== undefined) this.merge(data);
  }

  /** Inserts `char` right after the node `parent` (null: at the start); returns the delta. */
  insertAfter(parent: RgaId | null, char: string): RgaData {
    assert(parent === null || this.nodes.has(idKey(parent)), 'Rga.insertAfter: unknown parent');
    const node: RgaNode = { id: { counter: this.maxCounter + 1, replica: this.replicaId }, parent, char, removed: false };
    const delta: RgaData = { nodes: [node] };
    this.merge(delta);
    return delta;
  }

  /** Inserts `char` so that it becomes the visible character at `index`; returns the delta. */
  insertAt(index: number, char: string): RgaData {
    const visible = this.visibleNodes();
    assert(index >= 0 && index <= visible.length, `Rga.insertAt: index ${index} outside 0..${visible.length}`);
    return this.insertAfter(index === 0 ? null : (visible[index - 1] as RgaNode).id, char);
  }

  /** Removes (tombstones) the node `id`; returns the delta. */
  remove(id: RgaId): RgaData {
    const n = this.nodes.get(idKey(id));
    assert(n !== undefined, 'Rga.remove: unknown id');
    const delta: RgaData = { nodes: [{ id: n.id, parent: n.parent, char: n.char, removed: true }] };
    this.merge(delta);
    return delta;
  }

  /** Removes the visible character at `index`; returns the delta. */
  removeAt(index: number): RgaData {
    const visible = this.visibleNodes();
    assert(index >= 0 && index < visible.length, `Rga.removeAt: index ${index} outside 0..${visible.length - 1}`);
    return this.remove((visible[index] as RgaNode).id);
  }

  /** Joins a state or delta: union of nodes, a node removed on either side stays removed. */
  merge(other: RgaData): void {
    for (const n of other.nodes) {
      const k = idKey(n.id);
      const mine = this.nodes.get(k);
      if (mine !== undefined) {
        assert(mine.char === n.char && idKey(mine.parent) === idKey(n.parent), 'Rga.merge: two nodes under one id');
        if (n.removed) mine.removed = true;
        continue;
      }
      const copy: HeldNode = { id: n.id, parent: n.parent, char: n.char, removed: n.removed, key: k };
      this.nodes.set(k, copy);
      this.maxCounter = Math.max(this.maxCounter, n.id.counter);
      this.addChild(copy);
    }
  }

  /** The visible nodes in text order (iterative walk: typed text is a deep chain). */
  visibleNodes(): RgaNode[] {
    const out: RgaNode[] = [];
    const stack: HeldNode[] = [];
    const pushChildren = (key: string): void => {
      const cs = this.children.get(key);
      if (cs === undefined) return;
      // Pushed smallest first so the greatest id is popped (visited) first.
      for (let i = cs.length - 1; i >= 0; i--) stack.push(cs[i] as HeldNode);
    };
    pushChildren('');
    while (stack.length > 0) {
      const n = stack.pop() as HeldNode;
      if (!n.removed) out.push(n);
      pushChildren(n.key);
    }
    return out;
  }

  /** The text. */
  value(): string {
    return this.visibleNodes()
      .map((n) => n.char)
      .join('');
  }

  /** Number of removed nodes kept as tombstones. */
  tombstoneCount(): number {
    let k = 0;
    for (const n of this.nodes.values()) if (n.removed) k++;
    return k;
  }

  valueBytes(): number {
    return utf8Bytes(this.value());
  }

  /** Ids, parent ids and removed flags of every node, plus the characters of tombstones. */
  metadataBytes(): number {
    let b = 0;
    for (const n of this.nodes.values()) {
      b += COUNTER_BYTES + utf8Bytes(n.id.replica) + 1;
      if (n.parent !== null) b += COUNTER_BYTES + utf8Bytes(n.parent.replica);
      if (n.removed) b += utf8Bytes(n.char);
    }
    return b;
  }

  /**
   * Metadata under a run-length encoding like Automerge's and Yjs's: a node typed right after its
   * replica's previous node (parent = same replica, counter - 1) continues a run and costs only its
   * removed flag; any other node starts a run and pays for its id and parent id.
   */
  metadataBytesRunLength(): number {
    let b = 0;
    for (const n of this.nodes.values()) {
      const p = n.parent;
      const continuesRun = p !== null && p.replica === n.id.replica && p.counter === n.id.counter - 1;
      b += 1;
      if (!continuesRun) b += COUNTER_BYTES + utf8Bytes(n.id.replica) + (p === null ? 0 : COUNTER_BYTES + utf8Bytes(p.replica));
      if (n.removed) b += utf8Bytes(n.char);
    }
    return b;
  }

  /** Canonical plain-data copy. */
  toData(): RgaData {
    const nodes = [...this.nodes.values()]
      .sort((a, b) => compareRgaIds(a.id, b.id))
      .map((n): RgaNode => ({ id: n.id, parent: n.parent, char: n.char, removed: n.removed }));
    return { nodes };
  }

  private addChild(n: HeldNode): void {
    const pk = idKey(n.parent);
    let cs = this.children.get(pk);
    if (cs === undefined) {
      cs = [];
      this.children.set(pk, cs);
    }
    // Keep greatest id first; siblings are few, so a linear scan is enough.
    let i = 0;
    while (i < cs.length && compareRgaIds((cs[i] as HeldNode).id, n.id) > 0) i++;
    cs.splice(i, 0, n);
  }
}
