import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Clock } from '@foundation/runtime';
import type { Strategy } from './strategy.js';
import { pollingStrategy } from './poller.js';
import { StrategyOptionError, checkClock, checkInteger, checkOneOf, checkOptions, checkString, errorText, peerUrl } from './options.js';

/** Options of the Kubernetes strategy. */
export interface KubernetesOptions {
  /** The namespace to look in (default: the pod's own, from the service-account namespace file). */
  readonly namespace?: string;
  /**
   * A label selector for the EndpointSlices (or Endpoints) of the cluster's Service, e.g.
   * 'kubernetes.io/service-name=foundation' or 'app=shop'. Slices and Endpoints carry the
   * labels of their Service.
   */
  readonly selector: string;
  /** The port peers listen on: a number, or the name of a port of the Service ('mesh'). */
  readonly port: number | string;
  /** 'ws' (default) or 'wss'. */
  readonly scheme?: 'ws' | 'wss';
  /** The API server (default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT). */
  readonly apiServer?: string;
  /** The service-account token file, read again at every poll (tokens are rotated). */
  readonly tokenPath?: string;
  /** The CA bundle that signs the API server's certificate. */
  readonly caPath?: string;
  /** How often to poll, in ms (default 5000). */
  readonly intervalMs?: number;
  /** Where poll timers come from (default: the system clock); stop() clears them. */
  readonly clock?: Clock;
  /** How long one request may take, in ms (default 5000). */
  readonly timeoutMs?: number;
}

const STRATEGY = 'kubernetes';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The parts of an EndpointSliceList (discovery.k8s.io/v1) this strategy reads. */
interface EndpointSliceList {
  kind?: string;
  metadata?: { continue?: string };
  items?: {
    addressType?: string;
    endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } }[] | null;
    ports?: { name?: string; port?: number }[] | null;
  }[];
}

/** The parts of an EndpointsList (v1) this strategy reads. */
interface EndpointsList {
  kind?: string;
  metadata?: { continue?: string };
  items?: {
    subsets?: { addresses?: { ip?: string }[]; ports?: { name?: string; port?: number }[] }[] | null;
  }[];
}

/**
 * Discovery from the Kubernetes API (libcluster's Kubernetes strategy): every `intervalMs` it
 * lists the EndpointSlices (discovery.k8s.io/v1) matching `selector` in `namespace` with the
 * pod's service-account token, and reports `scheme://ip:port` for every ready endpoint. Where
 * EndpointSlices are not served or not allowed (404, 403) it falls back to v1 Endpoints.
 * Not-ready endpoints are not peers. A failed request is logged and polling goes on.
 */
export function kubernetes(options: KubernetesOptions): Strategy {
  const o = checkOptions<KubernetesOptions>(STRATEGY, options, [
    'namespace',
    'selector',
    'port',
    'scheme',
    'apiServer',
    'tokenPath',
    'caPath',
    'intervalMs',
    'clock',
    'timeoutMs',
  ]);
  const selector = checkString(STRATEGY, 'selector', o.selector);
  const port =
    typeof o.port === 'string'
      ? checkString(STRATEGY, 'port', o.port, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a port number or a port name')
      : checkInteger(STRATEGY, 'port', o.port, 1, 65535);
  const scheme = checkOneOf(STRATEGY, 'scheme', o.scheme ?? 'ws', ['ws', 'wss'] as const);
  const intervalMs = checkInteger(STRATEGY, 'intervalMs', o.intervalMs ?? 5000, 10, 86_400_000);
  const timeoutMs = checkInteger(STRATEGY, 'timeoutMs', o.timeoutMs ?? 5000, 1, 600_000);
  const tokenPath = checkString(STRATEGY, 'tokenPath', o.tokenPath ?? `${SA_DIR}/token`);
  const caPath = checkString(STRATEGY, 'caPath', o.caPath ?? `${SA_DIR}/ca.crt`);
  const apiServer = new URL(apiServerUrl(o.apiServer));
  const namespace = o.namespace === undefined ? podNamespace() : o.namespace;
  checkString(STRATEGY, 'namespace', namespace, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name');

  const clock = checkClock(STRATEGY, o.clock);
  // Which API answered last time: EndpointSlices unless they were not served or not allowed.
  let resource: 'endpointslices' | 'endpoints' = 'endpointslices';

  return pollingStrategy(STRATEGY, intervalMs, clock, (ctx) => {
    const ca = apiServer.protocol === 'https:' && existsSync(caPath) ? readFileSync(caPath) : undefined;

    const list = async (which: typeof resource, token: string, signal: AbortSignal): Promise<string[]> => {
      const base =
        which === 'endpointslices'
          ? `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`
          : `/api/v1/namespaces/${namespace}/endpoints`;
      const urls: string[] = [];
      let cont: string | undefined;
      do {
        const qs = new URLSearchParams({ labelSelector: selector, limit: '500' });
        if (cont) qs.set('continue', cont);
        const body = await get(new URL(`${base}?${qs.toString()}`, apiServer), token, ca, timeoutMs, signal);
        if (which === 'endpointslices') urls.push(...fromSlices(body as EndpointSliceList, port, scheme));
        else urls.push(...fromEndpoints(body as EndpointsList, port, scheme));
        cont = (body as EndpointsList).metadata?.continue || undefined;
      } while (cont);
      return urls;
    };

    return {
      describe: () => `kubernetes: listing ${resource} in ${namespace} (${selector})`,
      async lookup(signal) {
        const token = (await readFile(tokenPath, 'utf8')).trim();
        try {
          return await list(resource, token, signal);
        } catch (e) {
          if (resource !== 'endpointslices' || !(e instanceof ApiError) || (e.status !== 404 && e.status !== 403)) throw e;
          let urls: string[];
          try {
            urls = await list('endpoints', token, signal);
          } catch (e2) {
            throw new Error(`EndpointSlices gave ${e.message}; Endpoints gave ${errorText(e2)}`, { cause: e2 });
          }
          ctx.log(`kubernetes: EndpointSlices gave ${e.message}; using v1 Endpoints instead`);
          resource = 'endpoints';
          return urls;
        }
      },
    };
  });
}

function apiServerUrl(given: unknown): string {
  if (given !== undefined) {
    const s = checkString(STRATEGY, 'apiServer', given);
    try {
      const u = new URL(s);
      if (u.protocol === 'http:' || u.protocol === 'https:') return s;
    } catch {
      // reported below
    }
    throw new StrategyOptionError(STRATEGY, 'apiServer', 'an http:// or https:// URL', given);
  }
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) {
    throw new StrategyOptionError(STRATEGY, 'apiServer', 'given when KUBERNETES_SERVICE_HOST is not set (not inside a pod)', given);
  }
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function podNamespace(): string {
  try {
    return readFileSync(`${SA_DIR}/namespace`, 'utf8').trim();
  } catch {
    throw new StrategyOptionError(STRATEGY, 'namespace', `given when ${SA_DIR}/namespace cannot be read (not inside a pod)`, undefined);
  }
}

/** A non-2xx answer of the API server, with the message of its Status object. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function get(url: URL, token: string, ca: Buffer | undefined, timeoutMs: number, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      {
        method: 'GET',
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        ...(ca ? { ca } : {}),
        signal,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            const msg = (body as { message?: unknown } | undefined)?.message;
            reject(new ApiError(status, `${status} ${res.statusMessage ?? ''}${typeof msg === 'string' ? `: ${msg}` : ''}`.trim()));
          } else if (body === undefined || typeof body !== 'object') {
            reject(new Error(`GET ${url.pathname} answered ${status} with a body that is not JSON`));
          } else {
            resolve(body);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function pickPort(ports: { name?: string; port?: number }[] | null | undefined, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  const p = ports?.find((x) => x.name === port)?.port;
  return typeof p === 'number' ? p : undefined;
}

function fromSlices(body: EndpointSliceList, port: number | string, scheme: 'ws' | 'wss'): string[] {
  const out: string[] = [];
  for (const slice of body.items ?? []) {
    if (slice.addressType === 'FQDN') continue;
    const p = pickPort(slice.ports, port);
    if (p === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      // The API says an unknown (null) ready condition is to be taken as ready.
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) out.push(peerUrl(scheme, ip, p));
    }
  }
  return out;
}

function fromEndpoints(body: EndpointsList, port: number | string, scheme: 'ws' | 'wss'): string[] {
  const out: string[] = [];
  for (const item of body.items ?? []) {
    for (const subset of item.subsets ?? []) {
      const p = pickPort(subset.ports, port);
      if (p === undefined) continue;
      // notReadyAddresses are left out on purpose: only ready pods are peers.
      for (const a of subset.addresses ?? []) if (a.ip) out.push(peerUrl(scheme, a.ip, p));
    }
  }
  return out;
}
