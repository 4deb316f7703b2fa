// The test-only expander follows the plugin's documented semantics (v4.19+, pkg/macros/macros.go
// and CHDatasource.applyConditionalAll). Expected strings are written out by hand.
import { describe, expect, it } from 'vitest';
import { expandQuery, type ExpandContext } from '../../dashboards/macro-expander.js';

// 2026-03-02T01:02:03.456Z .. 2026-03-03T04:05:06.789Z
const FROM = Date.UTC(2026, 2, 2, 1, 2, 3, 456);
const TO = Date.UTC(2026, 2, 3, 4, 5, 6, 789);
const ctx = (over: Partial<ExpandContext> = {}): ExpandContext => ({
  fromMs: FROM,
  toMs: TO,
  intervalMs: 60_000,
  variables: { agent: 'All' },
  options: { agent: ['a', 'b'] },
  ...over,
});

describe('backend macros', () => {
  it('$__timeFilter compares with whole unix seconds, both ends inclusive', () => {
    expect(expandQuery('WHERE $__timeFilter(t)', ctx())).toBe('WHERE t >= toDateTime(1772413323) AND t <= toDateTime(1772510706)');
  });

  it('$__timeFilter_ms keeps milliseconds', () => {
    expect(expandQuery('$__timeFilter_ms(t)', ctx())).toBe('t >= fromUnixTimestamp64Milli(1772413323456) AND t <= fromUnixTimestamp64Milli(1772510706789)');
  });

  it('$__dateFilter uses the calendar dates of the range', () => {
    expect(expandQuery('$__dateFilter(d)', ctx())).toBe("d >= toDate('2026-03-02') AND d <= toDate('2026-03-03')");
  });

  it('$__fromTime, $__toTime and their _ms forms', () => {
    expect(expandQuery('$__fromTime $__toTime $__fromTime_ms $__toTime_ms', ctx())).toBe(
      'toDateTime(1772413323) toDateTime(1772510706) fromUnixTimestamp64Milli(1772413323456) fromUnixTimestamp64Milli(1772510706789)',
    );
  });

  it('$__timeInterval buckets by whole seconds, at least 1', () => {
    expect(expandQuery('$__timeInterval(t)', ctx())).toBe('toStartOfInterval(toDateTime(t), INTERVAL 60 second)');
    expect(expandQuery('$__timeInterval(t)', ctx({ intervalMs: 200 }))).toBe('toStartOfInterval(toDateTime(t), INTERVAL 1 second)');
  });

  it('$__timeInterval_ms buckets by milliseconds', () => {
    expect(expandQuery('$__timeInterval_ms(t)', ctx({ intervalMs: 1500 }))).toBe('toStartOfInterval(toDateTime64(t, 3), INTERVAL 1500 millisecond)');
  });

  it('$__interval_s is the interval in whole seconds', () => {
    expect(expandQuery('STEP $__interval_s', ctx({ intervalMs: 3_600_000 }))).toBe('STEP 3600');
  });

  it('an unknown macro is an error, not passed through', () => {
    expect(() => expandQuery('$__unixEpochFilter(t)', ctx())).toThrow(/unknown macro/);
  });
});

describe('$__conditionalAll and template variables', () => {
  const sql = 'WHERE $__conditionalAll(agent IN (${agent:singlequote}), $agent)';

  it('All turns the condition into 1=1', () => {
    expect(expandQuery(sql, ctx())).toBe('WHERE 1=1');
  });

  it('nothing selected also turns it into 1=1', () => {
    expect(expandQuery(sql, ctx({ variables: { agent: [] } }))).toBe('WHERE 1=1');
  });

  it('a selection keeps the condition, values single-quoted and escaped', () => {
    expect(expandQuery(sql, ctx({ variables: { agent: ['sales', "o'brien"] } }))).toBe("WHERE agent IN ('sales','o\\'brien')");
  });

  it('outside $__conditionalAll, All expands to every option', () => {
    expect(expandQuery('agent IN (${agent:singlequote})', ctx())).toBe("agent IN ('a','b')");
  });

  it("without a format the plugin's own formatter quotes but does not escape", () => {
    expect(expandQuery('IN ($agent)', ctx({ variables: { agent: ['x', 'y'] } }))).toBe("IN ('x','y')");
  });

  it('several $__conditionalAll in one query are each replaced', () => {
    const two = `${sql} AND $__conditionalAll(a2 IN (\${agent:singlequote}), $agent)`;
    expect(expandQuery(two, ctx({ variables: { agent: ['s'] } }))).toBe("WHERE agent IN ('s') AND a2 IN ('s')");
  });

  it('an unknown variable is an error', () => {
    expect(() => expandQuery('$team', ctx())).toThrow(/unknown template variable/);
  });
});
