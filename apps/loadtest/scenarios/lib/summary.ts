/** What the summary JSON says about the run beside k6's own numbers: the plan it followed. */
export interface RunPlan {
  scenario: string;
  workload: string;
  baseUrl: string;
  sloP95Ms: number;
  executor: 'constant-arrival-rate' | 'ramping-arrival-rate';
  routes: string[];
  /** constant-arrival-rate: iterations per second, held for durationMs. */
  rate?: number;
  durationMs?: number;
  /** ramping-arrival-rate: the staircase, one step after the other. */
  steps?: Array<{ step: number; rate: number; durationMs: number }>;
}

interface SummaryMetric {
  type: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

/** The part of k6's handleSummary argument read here. */
export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  state: { testRunDurationMs: number };
}

/** Selectors that only make k6 report a metric (they always hold); the report hides them. */
export const REPORT_ONLY = ['count>=0', 'max>=0', 'rate>=0'];

/**
 * The end-of-test output: a short text report on stdout, and the full summary JSON
 * (k6's data plus the run plan) in `summaryFile` when one is set. k6 prints its own
 * text summary only when handleSummary returns nothing, so the report here takes its
 * place, shaped around what the comparisons read: latency per route and the SLO.
 */
export function summaryOutputs(data: SummaryData, plan: RunPlan, summaryFile: string | undefined): Record<string, string> {
  const outputs: Record<string, string> = { stdout: textReport(data, plan) };
  if (summaryFile !== undefined) outputs[summaryFile] = `${JSON.stringify({ ...data, run: plan }, null, 2)}\n`;
  return outputs;
}

export function textReport(data: SummaryData, plan: RunPlan): string {
  const metric = (name: string, stat: string): number => data.metrics[name]?.values[stat] ?? 0;
  const scoped = (name: string) => `${name}{scenario:${plan.scenario}}`;
  const lines: string[] = [''];
  const shape =
    plan.steps === undefined
      ? `${plan.rate}/s for ${seconds(plan.durationMs ?? 0)}`
      : `${plan.steps.length} steps from ${plan.steps[0]?.rate}/s to ${plan.steps[plan.steps.length - 1]?.rate}/s, ${seconds(plan.steps[0]?.durationMs ?? 0)} each`;
  const title = plan.workload === plan.scenario ? plan.scenario : `${plan.scenario} (${plan.workload})`;
  lines.push(`${title}: ${plan.executor}, ${shape}, against ${plan.baseUrl}`, '');
  if (metric('iterations', 'count') === 0) lines.push('  No iteration ran: see the error above.', '');
  lines.push(
    `  requests ${metric(scoped('http_reqs'), 'count')} (${metric(scoped('http_reqs'), 'rate').toFixed(1)}/s)` +
      `   failed ${percent(metric(scoped('http_req_failed'), 'rate'))}` +
      `   checks ${percent(metric(scoped('checks'), 'rate'))}` +
      `   retried ${metric('retried_requests', 'count')}`,
    `  iterations ${metric('iterations', 'count')}   dropped ${metric('dropped_iterations', 'count')}   VUs max ${metric('vus_max', 'max')}`,
    '',
  );

  const rows = plan.routes.map((route) => {
    const duration = `http_req_duration{name:${route}}`;
    return [
      route,
      String(metric(duration, 'count')),
      ...['p(50)', 'p(95)', 'p(99)', 'max'].map((stat) => milliseconds(metric(duration, stat))),
      percent(metric(`http_req_failed{name:${route}}`, 'rate')),
    ];
  });
  lines.push(...table(['route', 'count', 'p50', 'p95', 'p99', 'max', 'failed'], rows), '');

  if (plan.steps !== undefined) {
    const stepRows = plan.steps.map(({ step, rate, durationMs }) => [
      String(step),
      `${rate}/s`,
      `${(metric(`iterations{step:${step}}`, 'count') / (durationMs / 1000)).toFixed(1)}/s`,
      milliseconds(metric(`http_req_duration{step:${step}}`, 'p(95)')),
      percent(metric(`http_req_failed{step:${step}}`, 'rate')),
    ]);
    lines.push(...table(['step', 'target', 'achieved', 'p95', 'failed'], stepRows), '');
  }

  lines.push('  thresholds');
  for (const [name, { thresholds }] of Object.entries(data.metrics)) {
    for (const [expression, { ok }] of Object.entries(thresholds ?? {})) {
      if (REPORT_ONLY.includes(expression)) continue;
      lines.push(`  ${ok ? 'ok  ' : 'FAIL'} ${name} ${expression}`);
    }
  }
  return `${lines.join('\n')}\n\n`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const render = (cells: string[]) =>
    `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[column] as number))).join('  ')}`;
  return [render(header), ...rows.map(render)];
}

function milliseconds(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}
