import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cell, summarize, type Summary } from './stats.js';

/** One measured quantity: its id is stable across runs so two JSON files can be diffed. */
export interface Figure extends Summary {
  id: string;
  unit: string;
}

export type TargetStatus = 'met' | 'not met' | 'not measured';

export interface TargetResult {
  id: string;
  /** The wording of the target. */
  target: string;
  /** The figures it is judged on, as read. */
  measured: string;
  /** The compared quantity in the target's own terms (a ratio, or ms); NaN when not measured. */
  ratio: number;
  /** How `ratio` reads against the bound, e.g. "0.42x of the ceiling (needs >= 0.90)". */
  verdict: string;
  status: TargetStatus;
}

/**
 * Collects the run's figures and prints each table as soon as its section
 * ends, so a long run shows progress and a crash keeps what was measured.
 * Markdown goes to stdout (ready for BENCHMARKS.md); progress goes to stderr.
 */
export class Report {
  readonly figures = new Map<string, Figure>();
  readonly targets: TargetResult[] = [];
  private readonly markdown: string[] = [];
  readonly errors: string[] = [];
  /** Versions and settings worth keeping with the figures. */
  readonly info: { pythonReference?: Record<string, string | number>; [key: string]: unknown } = {};

  constructor(private readonly write: (text: string) => void = (text) => process.stdout.write(text)) {}

  /** Records every run's value of one figure and returns its summary. */
  figure(id: string, unit: string, values: readonly number[]): Figure {
    const figure: Figure = { id, unit, ...summarize(values) };
    this.figures.set(id, figure);
    return figure;
  }

  get(id: string): Figure | undefined {
    return this.figures.get(id);
  }

  /** The table cell of a figure, or `n/a` when it was not measured in this run. */
  cell(id: string, digits?: number): string {
    const figure = this.figures.get(id);
    return figure && figure.runs > 0 ? cell(figure, digits) : 'n/a';
  }

  line(text = ''): void {
    this.markdown.push(text);
    this.write(text + '\n');
  }

  heading(text: string): void {
    this.line(`### ${text}`);
    this.line();
  }

  table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
    this.line(`| ${headers.join(' | ')} |`);
    this.line(`| ${headers.map(() => '---').join(' | ')} |`);
    for (const row of rows) this.line(`| ${row.join(' | ')} |`);
    this.line();
  }

  target(result: TargetResult): void {
    this.targets.push(result);
  }

  async writeJson(file: string, meta: Record<string, unknown>): Promise<void> {
    const body = {
      ...meta,
      info: this.info,
      figures: Object.fromEntries([...this.figures.values()].map((f) => [f.id, f])),
      targets: this.targets,
      errors: this.errors,
      markdown: this.markdown.join('\n'),
    };
    await mkdir(path.dirname(file), { recursive: true });
    // NaN is not JSON: write it as null so a reader sees "not measured".
    await writeFile(file, JSON.stringify(body, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2) + '\n');
  }
}

/** Progress for the person watching: stderr, so stdout stays the tables. */
export function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}
