/**
 * A progress line for long work: on a terminal it redraws one line (`\r`); elsewhere (CI, notebooks' captured
 * output) it prints a line at most every `everySeconds` and at the end, so logs stay short.
 * Silenced with RECLAB_PROGRESS=0.
 */

/** Options of `Progress`. */
export interface ProgressOptions {
  /** Total units (e.g. batches); 0 when unknown. */
  total: number;
  label: string;
  /** Minimum seconds between non-terminal prints. */
  everySeconds: number;
  stream: NodeJS.WriteStream;
  enabled: boolean;
}

/** One updating output line, as a notebook shows it (src/notebook's progressLine). */
export interface ProgressSinkLine {
  update(text: string): void;
  done(text: string): void;
}

/**
 * Where progress goes instead of the stream when set (src/notebook sets it inside a tslab kernel so that progress is
 * one line updated in place); kept on globalThis so every copy of this module sees it.
 */
export const PROGRESS_SINK = Symbol.for('reclab.progressSink');

function sinkLine(): ProgressSinkLine | null {
  const make = (globalThis as Record<symbol, unknown>)[PROGRESS_SINK];
  return typeof make === 'function' ? (make as () => ProgressSinkLine)() : null;
}

/**
 * @example
 * const p = new Progress({ total: 100, label: 'epoch 1' });
 * p.update(10, { loss: 0.52, 'samples/s': 31000 }); p.done();
 */
export class Progress {
  private readonly o: ProgressOptions;
  private readonly start = Date.now();
  private lastPrint = 0;
  private current = 0;
  private fields: Record<string, number | string> = {};
  private sink: ProgressSinkLine | null | undefined;

  constructor(options: Partial<ProgressOptions> & { total: number; label: string }) {
    this.o = { everySeconds: 10, stream: process.stderr, enabled: process.env.RECLAB_PROGRESS !== '0', ...options };
  }

  /** Sets the position and the fields shown beside the bar. */
  update(current: number, fields: Record<string, number | string> = {}): void {
    this.current = current;
    this.fields = fields;
    if (!this.o.enabled) return;
    const now = Date.now();
    if ((this.sink ??= sinkLine()) !== null) {
      if (now - this.lastPrint < 250) return;
      this.sink.update(this.line());
    } else if (this.o.stream.isTTY) {
      if (now - this.lastPrint < 100) return;
      this.o.stream.write(`\r${this.line()}\x1b[K`);
    } else {
      if (now - this.lastPrint < this.o.everySeconds * 1000) return;
      this.o.stream.write(`${this.line()}\n`);
    }
    this.lastPrint = now;
  }

  /** Prints the final line. */
  done(fields: Record<string, number | string> = this.fields): void {
    this.fields = fields;
    if (!this.o.enabled) return;
    if ((this.sink ??= sinkLine()) !== null) {
      this.sink.done(this.line());
      return;
    }
    this.o.stream.write(`${this.o.stream.isTTY ? '\r' : ''}${this.line()}${this.o.stream.isTTY ? '\x1b[K' : ''}\n`);
  }

  private line(): string {
    const secs = (Date.now() - this.start) / 1000;
    const t = this.o.total;
    const frac = t > 0 ? Math.min(this.current / t, 1) : 0;
    const width = 20;
    const bar = t > 0 ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${this.current}/${t}` : `${this.current}`;
    const eta = t > 0 && frac > 0 && frac < 1 ? ` eta ${Math.round((secs / frac) * (1 - frac))}s` : '';
    const f = Object.entries(this.fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`)
      .join('  ');
    return `${this.o.label} ${bar} ${secs.toFixed(1)}s${eta}  ${f}`;
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(4);
}
