/**
 * Figures of the Moment&Cross pages: one live room's hidden attractiveness over its stream against the real-time
 * crowd features a model sees (what "recommend at the right moment" relies on).
 */
import { barChart, lineChart, type Figure } from '../../plots/index.ts';
import type { ResultTable } from '../result-table.ts';
import { RT_KINDS, WINDOW_SECONDS, type LiveWorldData } from '../../worlds/live-world.ts';

/** One room's per-window series: truth (attractiveness, highlight) and the crowd CTR over the last 30 s / 5 min. */
export interface RoomTimeline {
  stream: number;
  minutes: number[];
  attractiveness: number[];
  highlight: number[];
  /** Crowd CTR of the previous complete 30 s window (the `rt_ctr` span a row in this window sees). */
  ctr30: number[];
  /** Crowd CTR over the previous 5 minutes (10 windows). */
  ctr300: number[];
}

/**
 * The stream with the most highlight switches among the longest streams (an informative example), or `stream` when
 * given. Read from the world's truth: for figures only.
 * @example
 * roomTimeline(world).minutes.length; // windows of the chosen stream
 */
export function roomTimeline(world: LiveWorldData, stream?: number): RoomTimeline {
  const r = world.rooms;
  let s = stream ?? -1;
  if (s < 0) {
    let best = -1;
    for (let i = 0; i < r.windows.length; i++) {
      let switches = 0;
      for (let w = 1; w < r.windows[i]; w++) if (r.highlight[r.offset[i] + w] !== r.highlight[r.offset[i] + w - 1]) switches++;
      const score = switches * 1000 + r.windows[i];
      if (score > best) {
        best = score;
        s = i;
      }
    }
  }
  if (!(s >= 0 && s < r.windows.length)) throw new Error(`roomTimeline: stream ${s} is out of range [0, ${r.windows.length})`);
  const K = RT_KINDS.length;
  const sum = (from: number, to: number, k: number) => {
    let x = 0;
    for (let w = Math.max(0, from); w < to; w++) x += r.counts[(r.offset[s] + w) * K + k];
    return x;
  };
  const out: RoomTimeline = { stream: s, minutes: [], attractiveness: [], highlight: [], ctr30: [], ctr300: [] };
  for (let w = 0; w < r.windows[s]; w++) {
    out.minutes.push((w * WINDOW_SECONDS) / 60);
    out.attractiveness.push(r.attractiveness[r.offset[s] + w]);
    out.highlight.push(r.highlight[r.offset[s] + w]);
    out.ctr30.push((sum(w - 1, w, 1) + 1) / (sum(w - 1, w, 0) + 10));
    out.ctr300.push((sum(w - 10, w, 1) + 1) / (sum(w - 10, w, 0) + 10));
  }
  return out;
}

const z = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(xs.length - 1, 1)) || 1;
  return xs.map((x) => (x - m) / sd);
};

/**
 * Line chart of a room timeline, each series standardised (z-scores) so the hidden attractiveness and the observable
 * windowed CTRs share one axis; highlight windows as a 0/1 step scaled to the axis.
 * @example
 * figureDiv(roomFigure(roomTimeline(world)));
 */
export function roomFigure(t: RoomTimeline): Figure {
  const a = z(t.attractiveness);
  const top = Math.max(...a);
  return lineChart(
    [
      { name: 'attractiveness a_w (hidden truth)', x: t.minutes, y: a },
      { name: 'highlight moment (truth, 0/1 scaled)', x: t.minutes, y: t.highlight.map((h) => h * top) },
      { name: 'crowd CTR, last 30 s window (feature)', x: t.minutes, y: z(t.ctr30) },
      { name: 'crowd CTR, last 5 min (feature)', x: t.minutes, y: z(t.ctr300) },
    ],
    { title: `One live room (stream ${t.stream}): attractiveness vs real-time window features`, xTitle: 'minutes since the stream started', yTitle: 'standardised value', markers: false },
  );
}

/**
 * Bars of one metric column of a result table (mean ± std over seeds per method), e.g. the ablation's click AUC.
 * @example
 * figureDiv(tableBars(run.tables[0], 'click'));
 */
export function tableBars(table: ResultTable, column: string): Figure {
  if (!table.metrics.some((m) => m.name === column)) throw new Error(`tableBars: table '${table.title}' has no column '${column}' (columns: ${table.metrics.map((m) => m.name).join(', ')})`);
  const ref = table.references.find((r) => r.values[column] != null);
  return barChart(table.rows.map((r) => ({ label: r.method, mean: r.cells[column].mean, std: r.cells[column].std })), {
    title: `${table.title}: ${column} (mean ± std over seeds)`, yTitle: column,
    refLines: ref ? [{ y: ref.values[column] as number, label: ref.label }] : [],
  });
}
