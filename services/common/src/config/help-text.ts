/** `--help` text and the markdown reference, from the same option declarations. */
import { envName, flagName, type OptionSpec, type OptionSpecs } from './options.js';

function placeholder(s: OptionSpec): string {
  if (s.placeholder) return s.placeholder;
  switch (s.type) {
    case 'bool': return '';
    case 'int': case 'number': return 'N';
    case 'duration': return 'DURATION';
    case 'size': return 'SIZE';
    case 'enum': return (s.choices ?? []).join('|');
    case 'list': return 'VALUE';
    default: return 'VALUE';
  }
}

function formatDefault(s: OptionSpec): string | undefined {
  if (s.default === undefined || s.secret) return undefined;
  if (Array.isArray(s.default)) return s.default.length ? s.default.join(',') : undefined;
  if (s.type === 'duration') return `${s.default}ms`;
  if (s.type === 'object') return undefined;
  return String(s.default);
}

export function formatHelp(usage: string, description: string, specs: OptionSpecs): string {
  const rows: [string, string][] = [];
  for (const [key, s] of Object.entries(specs)) {
    if (s.type === 'object') continue;
    const ph = placeholder(s);
    const left = `${s.short ? `-${s.short}, ` : ''}--${flagName(key)}${ph ? ` ${ph}` : ''}`;
    const env = envName(key, s);
    const def = formatDefault(s);
    const right = [s.doc, s.multiple ? '(repeatable)' : '', def !== undefined ? `[default: ${def}]` : '', env ? `[env ${env}]` : '']
      .filter(Boolean).join(' ');
    rows.push([left, right]);
  }
  rows.push(['-c, --config FILE', 'YAML or JSON file with options by flag name [env STREAMLENS_CONFIG]']);
  rows.push(['-h, --help', 'this text']);
  const fileOnly = Object.entries(specs).filter(([, s]) => s.type === 'object');
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)));
  const lines = rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`));
  const fileLines = fileOnly.map(([key, s]) => `  ${flagName(key)}: ${s.doc}`);
  return [usage, '', description, '', 'options (flags > environment > config file > defaults):', ...lines,
    ...(fileLines.length ? ['', 'config-file-only settings:', ...fileLines] : []), ''].join('\n');
}

/** Markdown table for docs/configuration.md. */
export function formatMarkdown(specs: OptionSpecs): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const rows = Object.entries(specs).map(([key, s]) => {
    const def = formatDefault(s);
    const env = envName(key, s);
    const flag = s.type === 'object' ? `\`${flagName(key)}\` (file)` : `\`--${flagName(key)}\``;
    return `| ${flag} | ${env ? `\`${env}\`` : ''} | ${s.type}${s.multiple ? ', repeatable' : ''} | ${def !== undefined ? `\`${esc(def)}\`` : ''} | ${esc(s.doc)} |`;
  });
  return ['| option | environment | type | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
