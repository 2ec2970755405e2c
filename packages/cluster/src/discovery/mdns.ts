import makeMdns from 'multicast-dns';
import type { Clock } from '@foundation/runtime';
import type { Strategy, StrategyContext } from './strategy.js';
import { FailureLog, checkBoolean, checkClock, checkInteger, checkOptions, checkString, errorText } from './options.js';

/** Options of the mDNS strategy. */
export interface MdnsOptions {
  /** DNS-SD service name: nodes announce `<node>._<service>._tcp.local`. Default 'foundation'. */
  readonly service?: string;
  /**
   * The IPv4 address of the network interface to send and join multicast on (default: every
   * interface, as multicast-dns does). '127.0.0.1' with `bind: '0.0.0.0'` keeps discovery on
   * the loopback, between processes of one machine.
   */
  readonly interface?: string;
  /** The address the UDP socket binds to (default: `interface`); '0.0.0.0' is needed for loopback multicast. */
  readonly bind?: string;
  /** Receive multicast sent from this machine (default true: nodes on one machine find each other). */
  readonly loopback?: boolean;
  /** How often to ask for peers, in ms (default 2000). Nodes also announce themselves at start. */
  readonly intervalMs?: number;
  /** Where poll timers come from (default: the system clock); stop() clears them. */
  readonly clock?: Clock;
  /** UDP port (default 5353, mDNS's). */
  readonly port?: number;
}

const STRATEGY = 'mdns';
const TTL_SECONDS = 120;

/**
 * Zero-configuration discovery over multicast DNS (the development default): the node
 * announces its URL as a DNS-SD service instance `<node>._<service>._tcp.local` (PTR, SRV and a
 * TXT record `url=<ws url>`), answers queries for the service, asks for it every `intervalMs`,
 * and reports the URL of every other instance it hears of.
 */
export function mdns(options?: MdnsOptions): Strategy {
  const o = checkOptions<MdnsOptions>(STRATEGY, options);
  const service = checkString(STRATEGY, 'service', o.service ?? 'foundation', /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$/, 'a DNS-SD service name (1-15 letters, digits or inner hyphens)');
  const iface = o.interface === undefined ? undefined : checkString(STRATEGY, 'interface', o.interface, IPV4, 'an IPv4 address');
  const bind = o.bind === undefined ? undefined : checkString(STRATEGY, 'bind', o.bind, IPV4, 'an IPv4 address');
  const loopback = o.loopback === undefined ? true : checkBoolean(STRATEGY, 'loopback', o.loopback);
  const intervalMs = checkInteger(STRATEGY, 'intervalMs', o.intervalMs ?? 2000, 10, 3_600_000);
  const port = checkInteger(STRATEGY, 'port', o.port ?? 5353, 1, 65535);

  const serviceType = `_${service}._tcp.local`;
  const suffix = `.${serviceType}`.toLowerCase();
  let socket: makeMdns.MulticastDNS | undefined;
  const clock = checkClock(STRATEGY, o.clock);
  let timer: unknown;

  return {
    name: STRATEGY,
    start(ctx: StrategyContext): Promise<void> {
      if (socket) return Promise.resolve();
      const failures = new FailureLog(ctx.log);
      const self = ctx.self;
      const instance = `${instanceLabel(self.name)}.${serviceType}`;
      const url = new URL(self.url);
      const records: makeMdns.ResponseOutgoingPacket = {
        answers: [{ name: serviceType, type: 'PTR', ttl: TTL_SECONDS, data: instance }],
        additionals: [
          { name: instance, type: 'SRV', ttl: TTL_SECONDS, data: { target: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (url.protocol === 'wss:' ? 443 : 80) } },
          { name: instance, type: 'TXT', ttl: TTL_SECONDS, data: [`url=${self.url}`, `name=${self.name}`] },
        ],
      };

      const m = makeMdns({ port, interface: iface, bind, loopback, multicast: true, reuseAddr: true });
      socket = m;
      const sent = (what: string) => (err: Error | null) => {
        if (err) failures.failed(`mdns: sending the ${what} failed: ${errorText(err)}`);
        else failures.succeeded('mdns: sending');
      };
      const ask = () => m.query({ questions: [{ name: serviceType, type: 'PTR' }] }, sent('query'));

      m.on('warning', (err: Error) => failures.failed(`mdns: ${errorText(err)}`));
      m.on('query', (query) => {
        for (const q of query.questions ?? []) {
          const name = q.name.toLowerCase();
          if (name === serviceType.toLowerCase() || name === instance.toLowerCase()) {
            m.respond(records, sent('announcement'));
            return;
          }
        }
      });
      m.on('response', (response) => {
        for (const r of [...(response.answers ?? []), ...(response.additionals ?? [])]) {
          if (r.type !== 'TXT' || !r.name.toLowerCase().endsWith(suffix)) continue;
          const peer = txtValue(r.data, 'url');
          if (peer !== undefined && peer !== self.url && /^wss?:\/\//.test(peer)) ctx.found(peer);
        }
      });

      return new Promise<void>((resolve) => {
        m.on('error', (err: Error) => {
          // Bind failures (EADDRINUSE, EACCES) end up here: logged, and the strategy stays quiet.
          ctx.log(`mdns: the socket failed: ${errorText(err)}`);
          resolve();
        });
        m.once('ready', () => {
          if (socket !== m) return resolve();
          m.respond(records, sent('announcement'));
          ask();
          const again = () => {
            ask();
            timer = clock.setTimeout(again, intervalMs);
          };
          timer = clock.setTimeout(again, intervalMs);
          resolve();
        });
      });
    },
    stop(): Promise<void> {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const m = socket;
      socket = undefined;
      if (!m) return Promise.resolve();
      m.removeAllListeners('query');
      m.removeAllListeners('response');
      return new Promise((resolve) => m.destroy(() => resolve()));
    },
  };
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** A DNS label from a node name: dots would split it, and a label holds at most 63 bytes. */
function instanceLabel(name: string): string {
  let label = name.replace(/[.\s]/g, '-');
  while (Buffer.byteLength(label) > 63) label = label.slice(0, -1);
  return label || 'node';
}

function txtValue(data: unknown, key: string): string | undefined {
  const parts = Array.isArray(data) ? data : [data];
  const prefix = `${key}=`;
  for (const p of parts) {
    const s = Buffer.isBuffer(p) ? p.toString('utf8') : typeof p === 'string' ? p : undefined;
    if (s !== undefined && s.startsWith(prefix)) return s.slice(prefix.length);
  }
  return undefined;
}
