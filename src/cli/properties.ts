// A Java .properties file as Kafka reads server.properties: `key=value`, `key: value` or
// `key value`; `#` and `!` start comments; a trailing backslash continues a line. The escape
// sequences of java.util.Properties (\uXXXX, \t, ...) are not interpreted: Kafka server files
// do not use them, and a value is kept exactly as written after trimming.

export interface PropertiesEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line where the entry starts, for messages. */
  readonly line: number;
}

/** The entries of `text` in file order (a key given twice appears twice: the caller decides). */
export function parseProperties(text: string): PropertiesEntry[] {
  const entries: PropertiesEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = (lines[i] ?? '').trimStart();
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      i++;
      logical = logical.slice(0, -1) + (lines[i] ?? '').trimStart();
    }
    entries.push({ ...splitEntry(logical), line: start + 1 });
  }
  return entries;
}

/** An odd number of trailing backslashes continues the line; `\\` is a literal backslash. */
function endsWithContinuation(line: string): boolean {
  let n = 0;
  while (n < line.length && line[line.length - 1 - n] === '\\') n++;
  return n % 2 === 1;
}

function splitEntry(line: string): { key: string; value: string } {
  const match = /^([^=:\s]*)\s*[=:]?\s*(.*)$/.exec(line);
  return { key: match?.[1] ?? line, value: (match?.[2] ?? '').trim() };
}
