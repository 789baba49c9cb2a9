// The golden-script file format, after etcd's `datadriven` package:
//
//   # comments and blank lines between cases are kept verbatim
//   command arg key=value key=(1,2,3)
//   ----
//   expected output, up to the next blank line
//
// Output that itself contains blank lines is written between doubled separators:
//
//   command
//   ----
//   ----
//   output with
//
//   a blank line
//   ----
//   ----
//
// A file is parsed into segments so that `--rewrite` can regenerate the expected outputs while
// keeping every comment and command exactly as the author wrote them.

export interface Command {
  readonly name: string;
  /** Positional words, in order (tokens without `=`). */
  readonly positional: readonly string[];
  /** Keyed arguments (`drop=2`, `voters=(1,2,3)`). */
  readonly keyed: ReadonlyMap<string, readonly string[]>;
}

export interface Case {
  readonly kind: 'case';
  /** 1-based line number of the command, for error messages. */
  readonly line: number;
  readonly commandText: string;
  readonly expected: string;
}

export interface Text {
  readonly kind: 'text';
  readonly text: string;
}

export type Segment = Case | Text;

const SEPARATOR = '----';

export function parseScript(source: string, file: string): Segment[] {
  const lines = source.replace(/\n$/, '').split('\n');
  const segments: Segment[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.startsWith('#')) {
      segments.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    const parsed = parseCase(lines, i, file);
    segments.push(parsed.segment);
    i = parsed.next;
  }
  return segments;
}

function parseCase(lines: readonly string[], start: number, file: string): { segment: Case; next: number } {
  const commandText = lines[start] ?? '';
  if (lines[start + 1] !== SEPARATOR) throw new Error(`${file}:${start + 1}: expected "${SEPARATOR}" after command "${commandText}"`);
  let i = start + 2;
  const output: string[] = [];
  if (lines[i] === SEPARATOR) {
    // Doubled separators: the output runs to the next "----\n----" pair.
    i++;
    while (i < lines.length && !(lines[i] === SEPARATOR && lines[i + 1] === SEPARATOR)) output.push(lines[i++] ?? '');
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: unterminated "${SEPARATOR}\\n${SEPARATOR}" block`);
    i += 2;
  } else {
    while (i < lines.length && (lines[i] ?? '').trim() !== '') output.push(lines[i++] ?? '');
  }
  return { segment: { kind: 'case', line: start + 1, commandText, expected: output.join('\n') }, next: i };
}

/** Writes segments back, with `outputs` (one per case, in order) as the expected outputs. */
export function renderScript(segments: readonly Segment[], outputs: readonly string[]): string {
  const out: string[] = [];
  let n = 0;
  for (const segment of segments) {
    if (segment.kind === 'text') {
      out.push(segment.text);
      continue;
    }
    const output = outputs[n++] ?? segment.expected;
    out.push(segment.commandText, SEPARATOR);
    if (output.split('\n').some((l) => l.trim() === '')) out.push(SEPARATOR, output, SEPARATOR, SEPARATOR);
    else out.push(output);
  }
  return `${out.join('\n')}\n`;
}

/** Splits a command line into words; double quotes group words and are removed. */
function tokenize(text: string, where: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (started) tokens.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quoted) throw new Error(`${where}: unterminated quote`);
  if (started) tokens.push(current);
  return tokens;
}

export function parseCommand(text: string, where: string): Command {
  const [name, ...rest] = tokenize(text, where);
  if (name === undefined) throw new Error(`${where}: empty command`);
  const positional: string[] = [];
  const keyed = new Map<string, readonly string[]>();
  for (const token of rest) {
    const eq = token.indexOf('=');
    if (eq < 0) {
      positional.push(token);
      continue;
    }
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    const list = value.startsWith('(') && value.endsWith(')');
    const values = list ? value.slice(1, -1).split(',').map((v) => v.trim()).filter((v) => v !== '') : [value];
    keyed.set(key, values);
  }
  return { name, positional, keyed };
}
