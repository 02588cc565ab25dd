/**
 * Readers for systemd unit files and EnvironmentFile= files, with systemd's
 * syntax (systemd.syntax(7), systemd.exec(7)): sections, repeated keys,
 * backslash continuations, comments, quoted words and %-specifiers. The
 * deploy tests use them to check the units and to run the agent the way its
 * unit would.
 */

export interface Unit {
  /** section → key → every value, in file order (an empty value resets a list in systemd). */
  sections: Map<string, Map<string, string[]>>;
}

export function parseUnit(text: string): Unit {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++i].trim()}`;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !current) throw new Error(`line ${i + 1}: not "Key=value" inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const list = current.get(key) ?? [];
    list.push(value);
    current.set(key, list);
  }
  return { sections };
}

/** Every value of a key ([] when absent). */
export function values(unit: Unit, section: string, key: string): string[] {
  return unit.sections.get(section)?.get(key) ?? [];
}

/** The last value of a key (systemd's "last one wins" for single-valued settings). */
export function value(unit: Unit, section: string, key: string): string | undefined {
  const v = values(unit, section, key);
  return v.length ? v[v.length - 1] : undefined;
}

/** Space-separated list settings (AmbientCapabilities=, RestrictAddressFamilies=, ...), with resets. */
export function listSetting(unit: Unit, section: string, key: string): string[] {
  let out: string[] = [];
  for (const v of values(unit, section, key)) {
    if (v === '') out = [];
    else out.push(...v.split(/\s+/));
  }
  return out;
}

/** Split a command line into words the way systemd does (double and single quotes). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** Resolve the %-specifiers the units use (%i instance, %H host name, %% a percent sign). */
export function resolveSpecifiers(text: string, spec: { instance?: string; host: string }): string {
  return text.replace(/%(.)/g, (_, c: string) => {
    if (c === '%') return '%';
    if (c === 'i' || c === 'I') {
      if (spec.instance === undefined) throw new Error(`%${c} in a unit that is not a template instance`);
      return spec.instance;
    }
    if (c === 'H') return spec.host;
    throw new Error(`specifier %${c} is not handled by these tests`);
  });
}

/** An EnvironmentFile= file: VAR=value lines, # and ; comments, optional quotes. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`line ${n + 1}: not VAR=value: ${line}`);
    let v = m[2];
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) v = v.slice(1, -1);
    env[m[1]] = v;
  }
  return env;
}

/** Environment= values: space-separated VAR=value assignments, quotes allowed. */
export function parseEnvironmentSetting(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of values) {
    for (const word of splitCommand(v)) {
      const eq = word.indexOf('=');
      if (eq <= 0) throw new Error(`Environment=: not VAR=value: ${word}`);
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}
