// Prometheus metrics (/metrics), fed by the same run observer as the admin feed.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Runner } from '../runner/index.js';

export function createMetrics(runner: Runner): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sharpbox_process_' });
  const submitted = new Counter({
    name: 'sharpbox_runs_submitted_total',
    help: 'Runs accepted into the queue',
    registers: [registry],
  });
  const finished = new Counter({
    name: 'sharpbox_runs_finished_total',
    help: 'Runs finished, by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'sharpbox_runs_refused_total',
    help: 'Submissions refused, by code',
    labelNames: ['code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'sharpbox_run_latency_seconds',
    help: 'Submit to done',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'sharpbox_runs_running',
    help: 'Runs executing now',
    registers: [registry],
    collect() {
      this.set(runner.stats().running);
    },
  });
  new Gauge({
    name: 'sharpbox_runs_queued',
    help: 'Runs waiting now',
    registers: [registry],
    collect() {
      this.set(runner.stats().queued);
    },
  });
  runner.observe({
    submitted: (handle) => {
      submitted.inc();
      const started = performance.now();
      void handle.result.then((r) => {
        finished.inc({ status: r.status });
        latency.observe((performance.now() - started) / 1000);
      });
    },
    refused: (refusal) => refused.inc({ code: refusal.code }),
  });
  return registry;
}
