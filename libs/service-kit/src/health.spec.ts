import express from 'express';
import request from 'supertest';
import { HealthState, opsRouter } from './health';
import { createMetricsRegistry } from './metrics';

describe('opsRouter', () => {
  it('serves healthz, readyz with checks, and metrics', async () => {
    const health = new HealthState();
    let ready: boolean | string = 'warming up';
    health.addReadinessCheck('ingest', () => ready);
    const app = express().use(opsRouter(health, createMetricsRegistry('test')));

    await request(app).get('/healthz').expect(200, { status: 'ok' });
    const notReady = await request(app).get('/readyz').expect(503);
    expect(notReady.body.checks).toEqual({ ingest: 'warming up' });
    ready = true;
    await request(app).get('/readyz').expect(200);
    health.setDraining();
    await request(app).get('/readyz').expect(503);

    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.text).toContain('livelab_process_cpu_seconds_total{service="test"}');
  });
});
