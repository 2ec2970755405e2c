import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StrategyOptionError, kubernetes, type KubernetesOptions, type Strategy } from '../src/index.js';
import { startFakeApiServer, tls, type FakeApiServer } from './fixtures/kubernetes-api.js';
import { CountingClock, recordingContext } from './fixtures/strategy-context.js';

const READY = ['ws://10.244.1.17:4369', 'ws://10.244.2.9:4369', 'ws://[fd00:10:244:4::5]:4369'];
const READY_V4 = ['ws://10.244.1.17:4369', 'ws://10.244.2.9:4369'];

let dir: string;
let tokenPath: string;
const servers: FakeApiServer[] = [];
const running: Strategy[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'foundation-k8s-'));
  tokenPath = join(dir, 'token');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(running.splice(0).map(async (s) => s.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.unstubAllEnvs();
});

async function api(https = true): Promise<FakeApiServer> {
  const token = `eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.${Math.random().toString(36).slice(2)}.sig`;
  writeFileSync(tokenPath, `${token}\n`);
  const s = await startFakeApiServer({ https, namespace: 'shop', token });
  servers.push(s);
  return s;
}

function strategy(options: KubernetesOptions): Strategy {
  const s = kubernetes(options);
  running.push(s);
  return s;
}

const sorted = (s: Set<string>) => [...s].sort();

describe('kubernetes', () => {
  it('lists the ready endpoints of matching EndpointSlices over https, with the bearer token and label selector', async () => {
    const server = await api();
    const ctx = recordingContext('foundation-0', 'ws://10.244.1.30:4369');
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: tls.caPath,
      intervalMs: 20,
    }).start(ctx);
    await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(READY), { timeout: 5000, interval: 5 });

    const first = server.requests[0]!;
    expect(first.path).toBe('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices');
    expect(first.query.get('labelSelector')).toBe('app=foundation');
    expect(first.authorization).toBe(`Bearer ${server.token}`);
    // foundation-2 (not ready) and foundation-3 (terminating) are never reported.
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 5 });
    expect(sorted(ctx.urls)).toEqual(READY);
    expect(ctx.logs).toEqual([]);
  });

  it("leaves out this node's own URL, uses a numeric port as given, and matches nothing for another selector", async () => {
    const server = await api(false);
    const ctx = recordingContext('foundation-0', 'wss://10.244.1.17:9000');
    await strategy({
      namespace: 'shop',
      selector: 'kubernetes.io/service-name=foundation',
      port: 9000,
      scheme: 'wss',
      apiServer: server.url,
      tokenPath,
      intervalMs: 20,
    }).start(ctx);
    await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(['wss://10.244.2.9:9000', 'wss://[fd00:10:244:4::5]:9000']), {
      timeout: 5000,
      interval: 5,
    });

    const none = recordingContext('x', 'ws://10.0.0.1:1');
    await strategy({ namespace: 'shop', selector: 'app=other', port: 'mesh', apiServer: server.url, tokenPath, intervalMs: 20 }).start(
      none,
    );
    await vi.waitFor(
      () => expect(server.requests.filter((r) => r.query.get('labelSelector') === 'app=other').length).toBeGreaterThanOrEqual(2),
      { timeout: 5000, interval: 5 },
    );
    expect(none.urls.size).toBe(0);
    expect(none.logs).toEqual([]);
  });

  it('finds the API server from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT', async () => {
    const server = await api();
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '127.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', new URL(server.url).port);
    const ctx = recordingContext('a', 'ws://10.0.0.1:1');
    await strategy({ namespace: 'shop', selector: 'app=foundation', port: 'mesh', tokenPath, caPath: tls.caPath, intervalMs: 20 }).start(
      ctx,
    );
    await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(READY), { timeout: 5000, interval: 5 });
  });

  it.each(['forbidden', 'notfound'] as const)(
    'falls back to v1 Endpoints when EndpointSlices are %s, leaving out notReadyAddresses',
    async (mode) => {
      const server = await api();
      server.slices = mode;
      const ctx = recordingContext('a', 'ws://10.0.0.1:1');
      await strategy({
        namespace: 'shop',
        selector: 'app=foundation',
        port: 'mesh',
        apiServer: server.url,
        tokenPath,
        caPath: tls.caPath,
        intervalMs: 20,
      }).start(ctx);
      await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(READY_V4), { timeout: 5000, interval: 5 });
      expect(
        server.requests.some((r) => r.path === '/api/v1/namespaces/shop/endpoints' && r.query.get('labelSelector') === 'app=foundation'),
      ).toBe(true);
      expect(ctx.logs).toHaveLength(1);
      expect(ctx.logs[0]).toMatch(
        mode === 'forbidden'
          ? /EndpointSlices gave 403 Forbidden: endpointslices\.discovery\.k8s\.io is forbidden.*using v1 Endpoints/
          : /EndpointSlices gave 404 Not Found; using v1 Endpoints/,
      );
      // Once fallen back, it asks Endpoints directly.
      const count = server.requests.length;
      await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(count + 2), { timeout: 5000, interval: 5 });
      expect(server.requests.slice(count).every((r) => r.path.endsWith('/endpoints'))).toBe(true);
    },
  );

  it('follows continue tokens through every page of the list', async () => {
    const server = await api();
    server.pageSize = 1;
    const ctx = recordingContext('a', 'ws://10.0.0.1:1');
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: tls.caPath,
      intervalMs: 50,
    }).start(ctx);
    await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(READY), { timeout: 5000, interval: 5 });
    expect(server.requests[1]!.query.get('continue')).toBeTruthy();
    expect(server.requests[1]!.query.get('labelSelector')).toBe('app=foundation');
  });

  it('reads the token file at every poll, so a rotated token is used; failures are logged and polling goes on', async () => {
    const server = await api();
    const ctx = recordingContext('a', 'ws://10.0.0.1:1');
    const old = server.token;
    server.token = 'rotated-token';
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: tls.caPath,
      intervalMs: 20,
    }).start(ctx);
    await vi.waitFor(() => expect(ctx.logs).toHaveLength(1), { timeout: 5000, interval: 5 });
    expect(ctx.logs[0]).toMatch(/kubernetes: listing endpointslices in shop \(app=foundation\) failed: .*401 Unauthorized: Unauthorized/);
    expect(server.requests[0]!.authorization).toBe(`Bearer ${old}`);
    writeFileSync(tokenPath, 'rotated-token\n');
    await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(READY), { timeout: 5000, interval: 5 });
    expect(ctx.logs[1]).toBe('kubernetes: listing endpointslices in shop (app=foundation) succeeded again');

    server.slices = 'error';
    await vi.waitFor(() => expect(ctx.logs[2]).toMatch(/500 Internal Server Error: etcdserver: request timed out/), {
      timeout: 5000,
      interval: 5,
    });
  });

  it('a missing token file or an unreachable API server is logged, not thrown', async () => {
    const ctx = recordingContext('a', 'ws://10.0.0.1:1');
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: 'https://127.0.0.1:1',
      tokenPath: join(dir, 'missing'),
      intervalMs: 20,
    }).start(ctx);
    await vi.waitFor(() => expect(ctx.logs[0]).toMatch(/ENOENT/), { timeout: 5000, interval: 5 });
    writeFileSync(join(dir, 'present'), 'token');
    const other = recordingContext('a', 'ws://10.0.0.1:1');
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: 'https://127.0.0.1:1',
      tokenPath: join(dir, 'present'),
      intervalMs: 20,
    }).start(other);
    await vi.waitFor(() => expect(other.logs[0]).toMatch(/ECONNREFUSED/), { timeout: 5000, interval: 5 });
  });

  it('an API server with a certificate from another CA is refused', async () => {
    const server = await api();
    const ctx = recordingContext('a', 'ws://10.0.0.1:1');
    // No caPath that exists: Node's default CAs do not sign the test server's certificate.
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: join(dir, 'no-ca.crt'),
      intervalMs: 20,
    }).start(ctx);
    await vi.waitFor(() => expect(ctx.logs[0]).toMatch(/certificate/i), { timeout: 5000, interval: 5 });
    expect(ctx.urls.size).toBe(0);
  });

  it('an endpoint listed by the last successful poll and gone from this one is reported lost; a failed poll reports nothing lost', async () => {
    const server = await api();
    const ctx = recordingContext('foundation-0', 'ws://10.244.1.17:4369');
    await strategy({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: tls.caPath,
      intervalMs: 20,
    }).start(ctx);
    await vi.waitFor(() => expect(sorted(ctx.urls)).toEqual(['ws://10.244.2.9:4369', 'ws://[fd00:10:244:4::5]:4369']), {
      timeout: 5000,
      interval: 5,
    });
    expect(ctx.lostUrls).toEqual([]);

    // foundation-1 is being rolled: terminating, so no longer a peer.
    server.terminating.add('10.244.2.9');
    await vi.waitFor(() => expect(ctx.lostUrls).toEqual(['ws://10.244.2.9:4369']), { timeout: 5000, interval: 5 });

    // The API server fails for a while: that says nothing about who is gone.
    server.slices = 'error';
    const failingFrom = server.requests.length;
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(failingFrom + 5), { timeout: 5000, interval: 5 });
    expect(ctx.logs).toHaveLength(1);
    expect(ctx.lostUrls).toEqual(['ws://10.244.2.9:4369']);

    // Back, with foundation-1 ready again at the same address and the IPv6 pod gone meanwhile:
    // compared with the last successful poll, the IPv6 pod is lost, foundation-1 found again.
    server.terminating = new Set(['fd00:10:244:4::5']);
    const found = ctx.foundCount;
    server.slices = 'ok';
    await vi.waitFor(() => expect(ctx.lostUrls).toEqual(['ws://10.244.2.9:4369', 'ws://[fd00:10:244:4::5]:4369']), {
      timeout: 5000,
      interval: 5,
    });
    await vi.waitFor(() => expect(ctx.foundCount).toBeGreaterThan(found), { timeout: 5000, interval: 5 });
    const polled = server.requests.length;
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(polled + 3), { timeout: 5000, interval: 5 });
    // Each loss is reported once, and this node's own URL never.
    expect(ctx.lostUrls).toEqual(['ws://10.244.2.9:4369', 'ws://[fd00:10:244:4::5]:4369']);
  });

  it('stop clears the poll timer and aborts the request in flight', async () => {
    const server = await api();
    const clock = new CountingClock();
    const ctx = recordingContext('a', 'ws://10.0.0.1:1');
    const s = kubernetes({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: tls.caPath,
      intervalMs: 20,
      clock,
    });
    await s.start(ctx);
    await vi.waitFor(() => expect(clock.pending.size).toBe(1), { timeout: 5000, interval: 1 });
    await s.stop();
    expect(clock.pending.size).toBe(0);

    server.slices = 'hang';
    const inFlight = recordingContext('b', 'ws://10.0.0.1:1');
    const clockB = new CountingClock();
    const b = kubernetes({
      namespace: 'shop',
      selector: 'app=foundation',
      port: 'mesh',
      apiServer: server.url,
      tokenPath,
      caPath: tls.caPath,
      intervalMs: 20,
      clock: clockB,
    });
    await b.start(inFlight);
    await vi.waitFor(() => expect(server.hanging).toBe(1), { timeout: 5000, interval: 1 });
    await b.stop();
    await vi.waitFor(() => expect(server.hanging).toBe(0), { timeout: 5000, interval: 1 });
    expect(clockB.pending.size).toBe(0);
    expect(inFlight.logs).toEqual([]);
  });

  it('rejects bad options with StrategyOptionError naming the option', () => {
    const ok = { namespace: 'shop', selector: 'app=x', port: 4369, apiServer: 'https://10.96.0.1:443' };
    expect(() => kubernetes({ ...ok, selector: '' })).toThrow(/kubernetes: option selector must be a non-empty string, got ''/);
    expect(() => kubernetes({ ...ok, port: 0 })).toThrow(/option port must be an integer in \[1, 65535\], got 0/);
    expect(() => kubernetes({ ...ok, port: 'Not_A_Name' })).toThrow(/option port must be a port number or a port name/);
    expect(() => kubernetes({ ...ok, namespace: 'Shop!' })).toThrow(/option namespace must be a namespace name/);
    expect(() => kubernetes({ ...ok, apiServer: 'ftp://x' })).toThrow(/option apiServer must be an http:\/\/ or https:\/\/ URL/);
    expect(() => kubernetes({ ...ok, intervalMs: 1.5 })).toThrow(StrategyOptionError);
    expect(() => kubernetes({ ...ok, scheme: 'tcp' as 'ws' })).toThrow(/option scheme/);
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    expect(() => kubernetes({ ...ok, apiServer: undefined })).toThrow(
      /option apiServer must be given when KUBERNETES_SERVICE_HOST is not set/,
    );
    expect(kubernetes(ok).name).toBe('kubernetes');
  });
});
