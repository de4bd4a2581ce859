import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as tl from 'azure-pipelines-task-lib/task';

import { AgentEnvironment, taskLibEnvironment } from './agentEnvironment';
import { containsRegisteredSecret } from './secrets';

export type SummaryValue = string | number | boolean | undefined | null;

/** Attachment type the agent shows as a section of the run's Extensions/Summary tab. */
export const SUMMARY_ATTACHMENT_TYPE = 'Distributedtask.Core.Summary';

/**
 * Escapes text for a Markdown table cell or paragraph: Markdown punctuation is backslash-escaped and HTML is
 * entity-encoded, so a job name like `<img onerror=...>` or `a|b` shows literally and cannot break the table.
 */
export function escapeMarkdown(text: string): string {
  return escapeInline(text)
    // At the start of a block these would make a heading, a list or a quote.
    .replace(/^([#+-])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** Escaping for inline content such as a table cell, where block syntax (headings, lists) cannot start. */
export function escapeInline(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

function cell(value: SummaryValue): string {
  if (value === undefined || value === null || value === '') return '—';
  return escapeInline(String(value));
}

/** Only absolute http(s) URLs become links; anything else is shown as text. */
function safeUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    // Parentheses and spaces would end the Markdown link target early.
    return parsed.href.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20');
  } catch {
    return undefined;
  }
}

function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

/** Builds the Markdown of a task's run summary. Every value is escaped; only http(s) links are linked. */
export class SummaryBuilder {
  private readonly parts: string[] = [];

  heading(text: string, level: 1 | 2 | 3 | 4 = 3): this {
    this.parts.push(`${'#'.repeat(level)} ${escapeMarkdown(text)}`);
    return this;
  }

  paragraph(text: string): this {
    this.parts.push(escapeMarkdown(text));
    return this;
  }

  /** A two-column table of properties; rows whose value is undefined are left out. */
  keyValueTable(rows: ReadonlyArray<readonly [string, SummaryValue]> | Record<string, SummaryValue>, headers: readonly [string, string] = ['Property', 'Value']): this {
    const entries = Array.isArray(rows) ? rows : Object.entries(rows);
    const kept = entries.filter(([, value]) => value !== undefined);
    if (kept.length === 0) return this;
    this.table(headers, kept.map(([key, value]) => [key, value]));
    return this;
  }

  /** Metrics, one row per name, numbers rounded to 6 significant digits. */
  metricsTable(metrics: Record<string, number> | ReadonlyArray<readonly [string, number]>, headers: readonly [string, string] = ['Metric', 'Value']): this {
    const entries = Array.isArray(metrics) ? metrics : Object.entries(metrics);
    if (entries.length === 0) return this;
    this.table(headers, entries.map(([name, value]) => [name, formatMetric(value)]));
    return this;
  }

  /** A table with any number of columns. */
  table(headers: readonly string[], rows: ReadonlyArray<readonly SummaryValue[]>): this {
    const lines = [
      `| ${headers.map(cell).join(' | ')} |`,
      `| ${headers.map(() => '---').join(' | ')} |`,
      ...rows.map((row) => `| ${headers.map((_, i) => cell(row[i])).join(' | ')} |`),
    ];
    this.parts.push(lines.join('\n'));
    return this;
  }

  /** A link; shown as plain text when the URL is not http(s). */
  link(text: string, url: string): this {
    this.parts.push(linkMarkdown(text, url));
    return this;
  }

  /** A bulleted list of links (`[text, url]`). */
  links(items: ReadonlyArray<readonly [string, string]>): this {
    if (items.length === 0) return this;
    this.parts.push(items.map(([text, url]) => `- ${linkMarkdown(text, url)}`).join('\n'));
    return this;
  }

  toMarkdown(): string {
    return `${this.parts.join('\n\n')}\n`;
  }
}

/** Markdown for one link, escaped. */
export function linkMarkdown(text: string, url: string): string {
  const href = safeUrl(url);
  return href ? `[${escapeMarkdown(text)}](${href})` : escapeMarkdown(text);
}

/**
 * Writes `markdown` to Agent.TempDirectory and attaches it as a section of the run summary titled `title`.
 * Refuses markdown that contains a registered secret (summaries are readable by anyone who can see the run).
 * Returns the file path.
 */
export function publishSummary(title: string, markdown: string, env: AgentEnvironment = taskLibEnvironment): string {
  if (containsRegisteredSecret(markdown)) {
    throw new Error(`The summary '${title}' was not published: it contains a secret.`);
  }
  const folder = env.getVariable('Agent.TempDirectory') ?? os.tmpdir();
  fs.mkdirSync(folder, { recursive: true });
  const fileName = `${title.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'summary'}-${process.pid}-${Date.now()}.md`;
  const filePath = path.join(folder, fileName);
  fs.writeFileSync(filePath, markdown, 'utf8');
  tl.addAttachment(SUMMARY_ATTACHMENT_TYPE, title, filePath);
  return filePath;
}
