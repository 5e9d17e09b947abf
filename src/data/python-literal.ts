/**
 * A safe parser of Python literals (what `repr` of dicts, lists, strings and numbers writes), for data files such as
 * the Amazon 2014 metadata that hold one Python dict per line. Nothing is evaluated.
 */

/** A value of a Python literal. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parses one Python literal (dict, list, tuple, str with '…'/"…" and escapes, int, float, True, False, None) without
 * evaluating anything. Throws with the character offset of the problem.
 * @example
 * parsePythonLiteral("{'asin': 'B1', 'title': \"It's\", 'categories': [['Books']]}"); // { asin: 'B1', ... }
 */
export function parsePythonLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => { throw new Error(`Python literal: ${what} at offset ${i}`); };
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const str = (): string => {
    if (text[i] === 'u' || text[i] === 'b') i++;
    const q = text[i++];
    let out = '';
    while (i < text.length && text[i] !== q) {
      const ch = text[i++];
      if (ch !== '\\') { out += ch; continue; }
      const e = text[i++];
      const hex = (n: number) => { const h = text.slice(i, i + n); if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) fail(`bad \\${e} escape`); i += n; return String.fromCodePoint(parseInt(h, 16)); };
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
      if (e in simple) out += simple[e];
      else if (e === 'x') out += hex(2);
      else if (e === 'u') out += hex(4);
      else if (e === 'U') out += hex(8);
      else if (/[0-7]/.test(e)) { let o = e; while (o.length < 3 && /[0-7]/.test(text[i])) o += text[i++]; out += String.fromCharCode(parseInt(o, 8)); }
      else out += `\\${e}`;
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  };
  const value = (): PyValue => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const obj: Record<string, PyValue> = {};
      for (ws(); text[i] !== '}'; ws()) {
        const k = value();
        ws();
        if (text[i++] !== ':') fail("expected ':'");
        obj[String(k)] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
        ws();
      }
      i++;
      return obj;
    }
    if (ch === '[' || ch === '(') {
      const close = ch === '[' ? ']' : ')';
      i++;
      const arr: PyValue[] = [];
      for (ws(); text[i] !== close; ws()) {
        arr.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
        ws();
      }
      i++;
      return arr;
    }
    if (ch === "'" || ch === '"' || ((ch === 'u' || ch === 'b') && (text[i + 1] === "'" || text[i + 1] === '"'))) return str();
    const m = /^(True|False|None|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return fail(`unexpected '${ch ?? 'end of input'}'`);
    i += m[0].length;
    return m[0] === 'True' ? true : m[0] === 'False' ? false : m[0] === 'None' ? null : Number(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
