import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { configSchema } from '../src/core/config/schema.js';

/**
 * Prints the config reference (docs/config.md) from the zod schema itself, so
 * the documentation cannot drift from what the service accepts; a test
 * compares the committed file with this output.
 */
interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

export function configReference(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = [
    '# Configuration reference',
    '',
    'Generated from `src/core/config/schema.ts` by `npm run docs:config`; do not edit by hand.',
    '',
    '`config.json` is validated at start: an unknown field or a bad value stops the service with exit',
    'status 2 and a message such as `night.min_dark_frames: expected integer >= 1, received -3`.',
    'Every field is optional; the defaults below apply. Files written for the Python service load',
    'unchanged (`"ring": 120`, `"network": 9999`, `"logging": "INFO"`).',
    '',
  ];
  for (const [section, schema] of Object.entries(root.properties ?? {})) {
    const object = unwrap(schema);
    lines.push(`## \`${section}\``, '', object.description ?? '', '', '| field | type | default | meaning |', '| --- | --- | --- | --- |');
    for (const [name, field] of Object.entries(object.properties ?? {})) {
      const leaf = unwrap(field);
      const meaning = (leaf.description ?? field.description ?? '').replaceAll('|', '\\|');
      lines.push(`| \`${section}.${name}\` | ${typeOf(leaf)} | ${defaultOf(leaf.default ?? field.default)} | ${meaning} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Finds the object (or leaf) inside the unions the short forms add. */
function unwrap(schema: JsonSchema): JsonSchema {
  const options = [...(schema.anyOf ?? []), ...(schema.allOf ?? [])];
  const found = options.find((option) => option.properties || option.type !== undefined || option.enum);
  return found ? { ...found, description: found.description ?? schema.description, default: found.default ?? schema.default } : schema;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (schema.type === 'array' && schema.items) return `list of ${typeOf(unwrap(schema.items))}`;
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const range =
    low !== undefined || schema.maximum !== undefined
      ? ` ${schema.exclusiveMinimum !== undefined ? '>' : '≥'} ${low ?? '-∞'}${schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? `, ≤ ${schema.maximum}` : ''}`
      : '';
  return `${String(schema.type ?? 'any')}${range}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(configReference() + '\n');
}

function defaultOf(value: unknown): string {
  return value === undefined ? '(none)' : `\`${JSON.stringify(value)}\``;
}
