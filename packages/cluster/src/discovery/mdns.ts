import makeMdns from 'multicast-dns';
import type { Clock } from '@foundation/runtime';
import type { Strategy, StrategyContext } from './strategy.js';
import { FailureLog, checkBoolean, checkClock, checkInteger, checkOptions, checkString, errorText } from './options.js';
import { MdnsPeers } from './mdns-peers.js';

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
 * and reports the URL of every other instance it hears of. A peer is reported lost on its
 * goodbye (its records with TTL 0, RFC 6762 §10.1) or when its records' TTL passes without it
 * answering again (it is asked at 80 % and 90 % of the TTL first); this node sends its own
 * goodbye when the strategy stops.
 */
export function mdns(options?: MdnsOptions): Strategy {
  const o = checkOptions<MdnsOptions>(STRATEGY, options, ['service', 'interface', 'bind', 'loopback', 'intervalMs', 'clock', 'port']);
  const service = checkString(
    STRATEGY,
    'service',
    o.service ?? 'foundation',
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$/,
    'a DNS-SD service name (1-15 letters, digits or inner hyphens)',
  );
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
  let peers: MdnsPeers | undefined;
  // This node's records with TTL 0, sent at stop once the socket was up.
  let goodbye: makeMdns.ResponseOutgoingPacket | undefined;

  return {
    name: STRATEGY,
    start(ctx: StrategyContext): Promise<void> {
      if (socket) return Promise.resolve();
      const failures = new FailureLog((m) => ctx.log(m));
      const self = ctx.self;
      const instance = `${instanceLabel(self.name)}.${serviceType}`;
      const url = new URL(self.url);
      const announce = (ttl: number): makeMdns.ResponseOutgoingPacket => ({
        answers: [{ name: serviceType, type: 'PTR', ttl, data: instance }],
        additionals: [
          {
            name: instance,
            type: 'SRV',
            ttl,
            data: { target: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (url.protocol === 'wss:' ? 443 : 80) },
          },
          { name: instance, type: 'TXT', ttl, data: [`url=${self.url}`, `name=${self.name}`] },
        ],
      });
      const records = announce(TTL_SECONDS);
      const ownInstance = instance.toLowerCase();

      const m = makeMdns({ port, interface: iface, bind, loopback, multicast: true, reuseAddr: true });
      socket = m;
      const sent = (what: string) => (err: Error | null) => {
        if (err) failures.failed(`mdns: sending the ${what} failed: ${errorText(err)}`);
        else failures.succeeded('mdns: sending');
      };
      const ask = () => m.query({ questions: [{ name: serviceType, type: 'PTR' }] }, sent('query'));
      const table = (peers = new MdnsPeers(clock, { found: (u) => ctx.found(u), lost: (u) => ctx.lost(u), log: (m) => ctx.log(m), ask }));

      m.on('warning', (err: Error) => failures.failed(`mdns: ${errorText(err)}`));
      // Packets come from anyone on the network: a throw while handling one drops that packet only.
      m.on('query', (query) => {
        try {
          for (const q of query.questions ?? []) {
            const name = q.name.toLowerCase();
            if (name === serviceType.toLowerCase() || name === ownInstance) {
              m.respond(records, sent('announcement'));
              return;
            }
          }
        } catch (e) {
          failures.failed(`mdns: answering a query failed: ${errorText(e)}`);
        }
      });
      m.on('response', (response) => {
        try {
          for (const r of [...(response.answers ?? []), ...(response.additionals ?? [])]) {
            const heard = parseRecord(r, serviceType.toLowerCase(), suffix);
            if (heard === undefined) continue;
            if (heard.ttl === 0) table.goodbye(heard.instance);
            else if (heard.url !== undefined && heard.url !== self.url) table.heard(heard.instance, heard.url, heard.ttl);
          }
        } catch (e) {
          failures.failed(`mdns: handling a response failed: ${errorText(e)}`);
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
          goodbye = announce(0);
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
      peers?.clear();
      peers = undefined;
      const bye = goodbye;
      goodbye = undefined;
      const m = socket;
      socket = undefined;
      if (!m) return Promise.resolve();
      m.removeAllListeners('query');
      m.removeAllListeners('response');
      return new Promise((resolve) => {
        const close = () => m.destroy(() => resolve());
        if (!bye) return close();
        // The goodbye goes out before the socket closes; a failed send still closes it.
        try {
          m.respond(bye, () => close());
        } catch {
          close();
        }
      });
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

/** What one record of a response says about a service instance, or undefined when it says nothing of ours. */
interface HeardRecord {
  /** The instance's name, lower case. */
  readonly instance: string;
  /** Seconds; 0 is a goodbye. */
  readonly ttl: number;
  /** The peer's ws:// or wss:// URL, from a TXT record. */
  readonly url?: string;
}

/** Parses one answer from the network: a TXT or SRV of an instance of the service, or the service's PTR. */
function parseRecord(
  r: { name?: unknown; type?: unknown; ttl?: unknown; data?: unknown },
  serviceType: string,
  suffix: string,
): HeardRecord | undefined {
  if (typeof r.name !== 'string' || typeof r.ttl !== 'number' || !Number.isInteger(r.ttl) || r.ttl < 0) return undefined;
  const name = r.name.toLowerCase();
  if (r.type === 'PTR' && name === serviceType && typeof r.data === 'string') {
    const instance = r.data.toLowerCase();
    // A PTR names the instance but carries no URL: only its goodbye tells us anything.
    return instance.endsWith(suffix) ? { instance, ttl: r.ttl } : undefined;
  }
  if (!name.endsWith(suffix)) return undefined;
  if (r.type === 'SRV') return { instance: name, ttl: r.ttl };
  if (r.type !== 'TXT') return undefined;
  const url = txtValue(r.data, 'url');
  return { instance: name, ttl: r.ttl, ...(url !== undefined && /^wss?:\/\/[^\s]+$/.test(url) ? { url } : {}) };
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
