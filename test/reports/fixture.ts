// A report fixture: three agents over 2026-03-05..10 (across the US switch to summer time on
// 2026-03-08), senders in several UTC offsets, replies on both sides of local midnights,
// equal timestamps in one conversation, a credit top-up, and some replies stored twice with
// different insert tokens (as a crash-and-replay without the consumer's key check would).
import type { ReplyRow, Store } from '../../store/store.js';
import { openMigratedStore, type MigratedStore } from '../helpers/migrated-store.js';

export interface FixtureReply {
  agent: string;
  messageId: string;
  conversationId: string;
  eventMs: number;
  /** The sender's UTC offset in minutes (the payload's timestamp is written in it). */
  senderOffset: number;
  receivedMs: number;
  remaining: number;
  credits: number;
  response: string[];
}

const AGENTS = ['sales', 'support', 'billing'];
const OFFSETS = [420, -300, 330, 0];

/** Deterministic pseudo-random numbers (mulberry32), so the fixture is the same every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function build(): FixtureReply[] {
  const rnd = random(42);
  const out: FixtureReply[] = [];
  const start = Date.UTC(2026, 2, 5, 0, 0, 0);
  let id = 0;
  for (let conv = 0; conv < 40; conv += 1) {
    const agent = AGENTS[conv % AGENTS.length]!;
    let t = start + Math.floor(rnd() * 6 * 86_400_000);
    const replies = 1 + Math.floor(rnd() * 5);
    for (let k = 0; k < replies; k += 1) {
      id += 1;
      out.push({
        agent,
        messageId: `m${String(id).padStart(4, '0')}`,
        conversationId: `conv-${conv}`,
        eventMs: t,
        senderOffset: OFFSETS[id % OFFSETS.length]!,
        receivedMs: t + 50 + Math.floor(rnd() * 8000),
        remaining: 0, // set below, in time order
        credits: 0,
        response: k % 2 ? ['Thanks, "noted".', 'Line two\nwith a break, and a comma'] : ['Hello'],
      });
      t += Math.floor(rnd() * 3 * 3_600_000);
    }
  }
  // Around Jakarta's midnight (17:00 UTC): one reply each side, same conversation.
  const jkt = Date.UTC(2026, 2, 6, 17, 0, 0);
  out.push(reply('sales', 'edge-1', 'conv-edge', jkt - 1, 420, 900, 5000));
  out.push(reply('sales', 'edge-2', 'conv-edge', jkt, 420, 1500, 4990.5));
  // Two replies with the same timestamp: a gap of 0, ties broken by message_id.
  out.push(reply('support', 'tie-a', 'conv-tie', Date.UTC(2026, 2, 7, 3, 0, 0), -300, 300, 8500));
  out.push(reply('support', 'tie-b', 'conv-tie', Date.UTC(2026, 2, 7, 3, 0, 0), -300, 700, 8499));
  // A top-up: remaining credits rise; a reply that costs credits (the spec says 0; recorded anyway).
  out.push(reply('billing', 'topup', 'conv-topup', Date.UTC(2026, 2, 8, 12, 0, 0), 330, 2000, 20_000, 1.5));
  // New York midnight after the DST switch (04:00 UTC on the 9th) and just before it.
  out.push(reply('billing', 'ny-1', 'conv-ny', Date.UTC(2026, 2, 9, 3, 59, 59), -240, 100, 19_990));
  out.push(reply('billing', 'ny-2', 'conv-ny', Date.UTC(2026, 2, 9, 4, 0, 0), -240, 100, 19_980));
  // Each agent's balance falls in time order, by 0 to 40 credits a reply, but for the top-up.
  const balance = new Map(AGENTS.map((a, i) => [a, 10_000 - i * 1000]));
  const byTime = [...out].sort((a, b) => a.eventMs - b.eventMs || (a.messageId < b.messageId ? -1 : 1));
  for (const r of byTime) {
    const before = balance.get(r.agent)!;
    r.remaining = r.messageId === 'topup' ? before + 10_000 : Math.round((before - rnd() * 40) * 10) / 10;
    balance.set(r.agent, r.remaining);
  }
  return out;
}

function reply(agent: string, messageId: string, conversationId: string, eventMs: number, senderOffset: number, latency: number, remaining: number, credits = 0): FixtureReply {
  return { agent, messageId, conversationId, eventMs, senderOffset, receivedMs: eventMs + latency, remaining, credits, response: ['Edge case'] };
}

export const REPLIES: readonly FixtureReply[] = build();

/** Every seventh reply is stored a second time with another token. */
export const DUPLICATED: readonly FixtureReply[] = REPLIES.filter((_, i) => i % 7 === 3);

const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/** The payload timestamp as the sender wrote it: local time with the sender's offset. */
export function senderTimestamp(r: FixtureReply): string {
  const local = new Date(r.eventMs + r.senderOffset * 60_000).toISOString().slice(0, 23);
  const a = Math.abs(r.senderOffset);
  const sign = r.senderOffset < 0 ? '-' : '+';
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** The webhook body Aksita would have sent for a fixture reply. */
export function fixtureBody(r: FixtureReply) {
  return {
    response: r.response,
    conversation_id: r.conversationId,
    message_id: r.messageId,
    credits: r.credits,
    remaining_credits: r.remaining,
    additional_context: '',
    source: 'human_agent',
    timestamp: senderTimestamp(r),
  };
}

export function toRow(r: FixtureReply, offset: number): ReplyRow {
  const body = fixtureBody(r);
  return {
    agent: r.agent,
    message_id: r.messageId,
    conversation_id: r.conversationId,
    response: r.response,
    credits: r.credits,
    remaining_credits: r.remaining,
    additional_context: '',
    source: 'human_agent',
    event_time: utc(r.eventMs),
    event_utc_offset_minutes: r.senderOffset,
    received_at: utc(r.receivedMs),
    signature_status: 'unsigned',
    raw_body: JSON.stringify(body),
    queue_name: 'fixture',
    queue_partition: 0,
    queue_offset: offset,
  };
}

/** Inserts the fixture, then the duplicates again under a different insert token. */
export async function loadFixture(store: Store): Promise<void> {
  await store.insertReplies(
    REPLIES.map((r, i) => toRow(r, i)),
    'fixture:0:first',
  );
  await store.insertReplies(
    DUPLICATED.map((r, i) => toRow(r, 10_000 + i)),
    'fixture:0:replayed',
  );
}

/** A chDB store in a new directory, migrated, with the fixture loaded. */
export async function openFixtureStore(): Promise<MigratedStore> {
  const opened = await openMigratedStore();
  await loadFixture(opened.store);
  return opened;
}
