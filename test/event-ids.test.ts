/**
 * Event IDs are version 4 UUIDs in the form `crypto.randomUUID` gives,
 * never repeated, and random in every position that is not fixed.
 */
import { newEventId } from '../dist/src/shard/event-ids.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('event IDs', () => {
  it('are version 4 UUIDs (RFC 9562) in lower case, and never repeat', () => {
    const ids = Array.from({ length: 50_000 }, () => newEventId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('vary in every hex digit that is not fixed by the version and variant', () => {
    const ids = Array.from({ length: 2_000 }, () => newEventId());
    for (let position = 0; position < 36; position++) {
      const seen = new Set(ids.map((id) => id[position]));
      if ([8, 13, 18, 23].includes(position)) expect([...seen]).toEqual(['-']);
      else if (position === 14) expect([...seen]).toEqual(['4']);
      else if (position === 19) expect([...seen].sort()).toEqual(['8', '9', 'a', 'b']);
      // 2,000 draws of 16 equally likely digits: every digit shows up.
      else expect(seen.size).toBe(16);
    }
  });
});
