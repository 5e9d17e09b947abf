/**
 * Timestamp cells as seconds since 1970-01-01T00:00:00Z (the `Schema.timestamp` unit). Formats:
 *   'seconds'  a finite decimal number (already seconds);
 *   'iso8601'  an ISO 8601 calendar date or date-time: `2017-05-06`, `2017-05-06T13:45`, `2017-05-06 13:45:10.5`,
 *              with an optional `Z` or `±HH:MM` / `±HHMM` / `±HH` offset. A date-time without an offset is read as UTC
 *              (stated, not guessed from the machine's zone, so a run is the same everywhere);
 *   'auto'     (default) a number as 'seconds', else ISO 8601, else the slash form `2017/5/6 0:00[:00]` (year first,
 *              1- or 2-digit month, day and hour; FuxiCTR's tiny_csv and Tianchi exports use it), read as UTC.
 * Impossible dates (2017-02-30, hour 24, minute 60) are rejected, never rolled over.
 */

/** How a timestamp cell is read (see the file header). */
export type TimestampFormat = 'auto' | 'seconds' | 'iso8601';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const SLASH = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** Seconds of a UTC calendar date-time, or NaN when a field is out of range (no roll-over). */
function utcSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: number): number {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return NaN;
  return ms / 1000 + frac;
}

function offsetSeconds(z: string | undefined): number {
  if (z === undefined || z === 'Z') return 0;
  const sign = z[0] === '-' ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (h > 23 || m > 59) return NaN;
  return sign * (h * 3600 + m * 60);
}

/**
 * Parses an ISO 8601 date or date-time into seconds since the epoch (UTC when no offset), or NaN.
 * @example
 * parseIsoDateTime('2017-05-06T01:00:00+01:00'); // 1494028800
 */
export function parseIsoDateTime(text: string): number {
  const m = ISO.exec(text.trim());
  if (!m) return NaN;
  const frac = m[7] ? Number(`0.${m[7]}`) : 0;
  const t = utcSeconds(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), frac);
  return t - offsetSeconds(m[8]);
}

/**
 * Parses a timestamp cell in the given format into seconds since the epoch, or NaN when it does not match.
 * @example
 * parseTimestamp('2017/5/6 0:00', 'auto'); // 1494028800
 * parseTimestamp('1494028800', 'auto'); // 1494028800
 * parseTimestamp('2017/5/6 0:00', 'iso8601'); // NaN (not ISO 8601)
 */
export function parseTimestamp(text: string, format: TimestampFormat = 'auto'): number {
  const t = text.trim();
  if (format !== 'iso8601' && NUMBER.test(t)) return Number(t);
  if (format === 'seconds') return NaN;
  const iso = parseIsoDateTime(t);
  if (!Number.isNaN(iso) || format === 'iso8601') return iso;
  const m = SLASH.exec(t);
  if (!m) return NaN;
  return utcSeconds(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), 0);
}

/** What a timestamp format expects, for error messages. */
export function timestampExpectation(format: TimestampFormat): string {
  if (format === 'seconds') return 'a finite number of seconds';
  if (format === 'iso8601') return 'an ISO 8601 date or date-time (e.g. 2017-05-06T13:45:00Z)';
  return 'seconds, an ISO 8601 date-time (e.g. 2017-05-06T13:45:00Z) or 2017/5/6 13:45';
}
