import { describe, expect, it } from 'vitest';
import { RAFT_MESSAGE_SUMMARIES } from '../../systems/raft/message-summary.ts';
import { CRDT_MESSAGE_SUMMARIES } from '../../systems/crdt/replication/message-summary.ts';
import { defaultSummary, MessageDescriber, SUMMARY_MAX } from './message-summary.ts';

describe('message summaries', () => {
  it('by default: the small fields as key=value, arrays as their length, a nested op in braces; type, from, to left out', () => {
    expect(defaultSummary({ type: 'put', from: 'n1', to: 'n2', key: 'k1', seq: 7, ok: true, items: [1, 2, 3], op: { op: 'cas', key: 'k2', expected: null }, blob: new Uint8Array(5) })).toBe(
      'key=k1 seq=7 ok=true items=[3] op={op=cas key=k2 expected=null} blob=<5 B>',
    );
    expect(defaultSummary({ text: 'a'.repeat(40), spaced: 'two words' })).toBe(`text="${'a'.repeat(23)}"… spaced="two words"`);
    expect(defaultSummary({ applied: new Map([['us', 3], ['eu', 5]]) })).toBe('applied={us:3 eu:5}');
  });

  it('a declared summary wins for its type; one that throws or answers undefined falls back to the next, then the default', () => {
    const d = new MessageDescriber();
    d.add({ vote: () => { throw new Error('not mine'); } });
    d.add({ vote: (m: { term: number }) => `t${m.term}` });
    d.add({ other: () => undefined });
    expect(d.describe({ type: 'vote', term: 4 })).toBe('vote t4');
    expect(d.describe({ type: 'other', a: 1 })).toBe('other a=1');
    expect(d.describe({ op: 'hold', ok: true })).toBe('{op=hold ok=true}');
    expect(d.describe(42)).toBe('number 42');
    expect(d.describe({ type: 'long', s: 'x'.repeat(20), t: 'y'.repeat(20), u: 'z'.repeat(20), v: 'w'.repeat(20), w: 'q'.repeat(20), x: 'r'.repeat(20), y: 's'.repeat(20) }).length).toBe(SUMMARY_MAX);
  });

  it('Raft messages read by term, log position and verdict; a CRDT message of the same type name is not mistaken for one', () => {
    const d = new MessageDescriber();
    d.add(RAFT_MESSAGE_SUMMARIES);
    d.add(CRDT_MESSAGE_SUMMARIES);
    const e = (index: number) => ({ term: 3, index, data: 'x' });
    expect(d.describe({ type: 'app', from: 'n1', to: 'n2', term: 3, index: 5, logTerm: 2, entries: [e(6), e(7), e(8)], commit: 4 })).toBe('app t3 prev 5/2 entries 6..8 commit 4');
    expect(d.describe({ type: 'app', from: 'n1', to: 'n2', term: 3, index: 8, logTerm: 3, entries: [], commit: 8 })).toBe('app t3 prev 8/3 no entries commit 8');
    expect(d.describe({ type: 'appResp', term: 3, index: 8, reject: true, rejectHint: 4, logTerm: 2 })).toBe('appResp t3 reject 8 hint 4/2');
    expect(d.describe({ type: 'vote', term: 5, index: 9, logTerm: 3 })).toBe('vote t5 last 9/3');
    expect(d.describe({ type: 'preVoteResp', term: 5, reject: false })).toBe('preVoteResp t5 granted');
    expect(d.describe({ type: 'snap', term: 2, snapshot: { index: 100, term: 2, data: null } })).toBe('snap t2 snapshot 100/2');
    expect(d.describe({ type: 'snap', rid: 4, store: [['k', {}]], applied: [], upper: [], absorbed: [], epoch: 1, ev: [] })).toBe('snap r4 1 key(s)');
  });
});
