import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '@foundation/runtime';
import type { Strategy } from './strategy.js';
import { pollingStrategy } from './poller.js';
import { StrategyOptionError, checkClock, checkInteger, checkOneOf, checkOptions, checkString, peerUrl } from './options.js';

/** Options of the DNS polling strategy. */
export interface DnsOptions {
  /** The name to look up, e.g. 'foundation.default.svc.cluster.local' or '_foundation._tcp.example.com'. */
  readonly query: string;
  /** 'A': every address is a peer at `port`; 'SRV': every record names a host and its port. Default 'A'. */
  readonly type?: 'A' | 'SRV';
  /** How often to look up, in ms (default 5000). */
  readonly intervalMs?: number;
  /** Where poll timers come from (default: the system clock); stop() clears them. */
  readonly clock?: Clock;
  /** The port peers listen on: required with type 'A'; with 'SRV' it replaces the records' ports. */
  readonly port?: number;
  /** 'ws' (default) or 'wss'. */
  readonly scheme?: 'ws' | 'wss';
  /** DNS servers to ask, as 'ip' or 'ip:port' (default: the system's). */
  readonly resolver?: string | readonly string[];
  /** How long one lookup may take before it is a failure, in ms (default 2000; c-ares waits at least ≈ 250 ms). */
  readonly timeoutMs?: number;
}

const STRATEGY = 'dns';

/**
 * Discovery by polling DNS (libcluster's DNSPoll): every `intervalMs` it resolves `query` and
 * reports `scheme://host:port` for each record, except this node's own URL. Headless
 * Kubernetes services, Consul DNS and plain round-robin A records all work this way. A failed
 * lookup (timeout, NXDOMAIN, refused) is logged and the next poll happens as usual.
 */
export function dns(options: DnsOptions): Strategy {
  const o = checkOptions<DnsOptions>(STRATEGY, options, [
    'query',
    'type',
    'intervalMs',
    'clock',
    'port',
    'scheme',
    'resolver',
    'timeoutMs',
  ]);
  const query = checkString(STRATEGY, 'query', o.query, /^[A-Za-z0-9_.-]+$/, 'a DNS name');
  const type = checkOneOf(STRATEGY, 'type', o.type ?? 'A', ['A', 'SRV'] as const);
  const intervalMs = checkInteger(STRATEGY, 'intervalMs', o.intervalMs ?? 5000, 10, 86_400_000);
  const timeoutMs = checkInteger(STRATEGY, 'timeoutMs', o.timeoutMs ?? 2000, 1, 600_000);
  const scheme = checkOneOf(STRATEGY, 'scheme', o.scheme ?? 'ws', ['ws', 'wss'] as const);
  if (type === 'A' && o.port === undefined)
    throw new StrategyOptionError(STRATEGY, 'port', "a port number (type 'A' records carry none)", o.port);
  const port = o.port === undefined ? undefined : checkInteger(STRATEGY, 'port', o.port, 1, 65535);
  const servers = o.resolver === undefined ? undefined : checkServers(o.resolver);

  const clock = checkClock(STRATEGY, o.clock);
  return pollingStrategy(STRATEGY, intervalMs, clock, () => {
    // tries: 1 so that timeoutMs is the whole budget of one lookup; the next poll is the retry.
    const r = new Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers) r.setServers(servers);
    return {
      describe: () => `dns: ${type} lookup of ${query}`,
      async lookup(signal) {
        signal.addEventListener('abort', () => r.cancel(), { once: true });
        if (type === 'A') return (await r.resolve4(query)).map((ip) => peerUrl(scheme, ip, port!));
        return (await r.resolveSrv(query)).map((s) => peerUrl(scheme, s.name.replace(/\.$/, ''), port ?? s.port));
      },
    };
  });
}

function checkServers(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  const expected = "'ip' or 'ip:port' (or a non-empty list of them)";
  if (!Array.isArray(list) || list.length === 0) throw new StrategyOptionError(STRATEGY, 'resolver', expected, value);
  for (const s of list) {
    if (typeof s !== 'string') throw new StrategyOptionError(STRATEGY, 'resolver', expected, value);
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
    const host = m ? m[1]! : s;
    const port = m ? Number(m[2]) : 53;
    if (isIP(host) === 0 || port < 1 || port > 65535) throw new StrategyOptionError(STRATEGY, 'resolver', expected, value);
  }
  return list as string[];
}
