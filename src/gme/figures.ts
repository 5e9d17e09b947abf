/**
 * Figures of the GME graph: one new ad and its top-N old-ad neighbours (spec §3.3), as a plotly figure. Pure:
 * (ad table, graph, ad) -> figure.
 */
import { baseLayout, PLOT_DEFAULTS, type Figure, type Trace } from '../plots/index.ts';
import type { AdTable } from '../worlds/cold-start-world.ts';
import { attributeValues, type AdGraph } from './graph.ts';

/** Options of `neighbourGraphFigure`; defaults in `NEIGHBOUR_GRAPH_DEFAULTS`. */
export interface NeighbourGraphOptions {
  title: string;
  width: number;
  height: number;
}
/** Defaults: an automatic title, 720 x 520 px. */
export const NEIGHBOUR_GRAPH_DEFAULTS: NeighbourGraphOptions = { title: '', width: 720, height: 520 };

/**
 * The ad (index `a`) in the centre, its neighbours on a circle, edges labelled with the number of shared attribute
 * values (wider = more shared); hover shows every node's attribute values.
 * @example
 * neighbourGraphFigure(world.ads, buildAdGraph(world.ads, 10), world.ads.oldCount); // the first new ad
 */
export function neighbourGraphFigure(ads: AdTable, graph: AdGraph, a: number, options: Partial<NeighbourGraphOptions> = {}): Figure {
  for (const k of Object.keys(options)) if (!(k in NEIGHBOUR_GRAPH_DEFAULTS)) throw new Error(`neighbourGraphFigure: unknown option '${k}'`);
  if (!(Number.isInteger(a) && a >= 0 && a < ads.count)) throw new Error(`neighbourGraphFigure: ad ${a} is not an index in [0, ${ads.count})`);
  const o = { ...NEIGHBOUR_GRAPH_DEFAULTS, ...options };
  const nb: Array<{ ad: number; score: number }> = [];
  for (let j = 0; j < graph.n; j++) {
    const id = graph.ids[a * graph.n + j];
    if (id > 0) nb.push({ ad: id - 1, score: graph.scores[a * graph.n + j] });
  }
  const kind = (x: number) => (x < ads.oldCount ? 'old' : 'new');
  const pos = nb.map((_, j) => {
    const t = (2 * Math.PI * j) / Math.max(nb.length, 1);
    return { x: Math.cos(t), y: Math.sin(t) };
  });
  const maxScore = Math.max(1, ...nb.map((x) => x.score));
  const edges: Trace[] = nb.map((x, j) => ({
    type: 'scatter', mode: 'lines', x: [0, pos[j].x], y: [0, pos[j].y], showlegend: false, hoverinfo: 'skip',
    line: { color: PLOT_DEFAULTS.colorway[2], width: 1 + (4 * x.score) / maxScore },
  }));
  const edgeLabels: Trace = {
    type: 'scatter', mode: 'text', name: 'shared values', showlegend: false, hoverinfo: 'skip',
    x: pos.map((p) => p.x / 2), y: pos.map((p) => p.y / 2), text: nb.map((x) => String(x.score)),
  };
  const hover = (x: number) => `ad ${x + 1} (${kind(x)})<br>${attributeValues(ads, x).join('<br>')}`;
  const centre: Trace = {
    type: 'scatter', mode: 'markers+text', name: `${kind(a)} ad`, x: [0], y: [0], text: [`ad ${a + 1}`], textposition: 'top center',
    marker: { size: 26, color: PLOT_DEFAULTS.colorway[1] }, hovertemplate: `${hover(a)}<extra></extra>`,
  };
  const nodes: Trace = {
    type: 'scatter', mode: 'markers+text', name: 'old-ad neighbours', x: pos.map((p) => p.x), y: pos.map((p) => p.y),
    text: nb.map((x) => `ad ${x.ad + 1}`), textposition: 'top center', marker: { size: 16, color: PLOT_DEFAULTS.colorway[0] },
    hovertext: nb.map((x) => hover(x.ad)), hoverinfo: 'text',
  };
  const layout = baseLayout({ title: o.title || `Ad ${a + 1} (${kind(a)}) and its ${nb.length} graph neighbours (edge label = shared attribute values)`, xTitle: '', yTitle: '', width: o.width, height: o.height, colors: PLOT_DEFAULTS.colorway });
  layout.xaxis = { ...layout.xaxis, showgrid: false, range: [-1.4, 1.4], showticklabels: false };
  layout.yaxis = { ...layout.yaxis, showgrid: false, range: [-1.3, 1.3], showticklabels: false };
  return { data: [...edges, edgeLabels, centre, nodes], layout };
}
