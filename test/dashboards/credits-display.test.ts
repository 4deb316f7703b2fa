// How the credits dashboard shows balances: in full (1,230, not "1.23 K"), with threshold
// lines, and "not falling" rather than an empty red tile when there is no run-out.
import { describe, expect, it } from 'vitest';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildAll } from '../../dashboards/all.js';

const credits = buildAll().find((d) => d.uid === 'aksita-credits')!;
const panel = (title: string) => (credits.panels as Panel[]).find((p) => p.title === title)!;
const defaults = (title: string) => panel(title).fieldConfig!.defaults!;

describe('credits dashboard display', () => {
  it('balances use the locale unit, which never abbreviates', () => {
    for (const title of ['Remaining credits', 'Remaining credits over time', 'Credits used per day']) expect(defaults(title).unit, title).toBe('locale');
    const overrides = panel('Projected run-out').fieldConfig!.overrides!.map((o) => [o.matcher.options, o.properties[0]!.value]);
    expect(overrides).toEqual(
      expect.arrayContaining([
        ['remaining_credits', 'locale'],
        ['burn_per_day', 'locale'],
      ]),
    );
  });

  it('"Days until credits run out" maps no projection to a green "not falling"', () => {
    expect(defaults('Days until credits run out').mappings).toEqual([{ type: 'special', options: { match: 'null', result: { text: 'not falling', color: 'green', index: 0 } } }]);
  });

  it("the balance over time draws the tiles' thresholds as lines", () => {
    const p = defaults('Remaining credits over time');
    expect(p.thresholds).toEqual(defaults('Remaining credits').thresholds);
    expect((p.custom as { thresholdsStyle: { mode: string } }).thresholdsStyle.mode).toBe('dashed');
  });
});
