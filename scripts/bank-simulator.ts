import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../server/config';
import { checkBankSignature, signBankMessage, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../domain/treasury';

/**
 * A bank's payment front end for development and tests (`npm run bank:sim`), its own HTTP service
 * on localhost. It takes signed payment orders (POST /bank/payments), answers 查询
 * (GET /bank/payments/:orderNo) and sends arrival notices (到账通知) or refunds (退票) to the
 * notifyUrl each order names, signed with HMAC-SM3 (domain/treasury.ts), retrying every notice
 * with backoff until it is answered 2xx — as real banks do, so a notice can arrive twice.
 * Orders are idempotent by number: a second submission answers the first and pays nothing.
 *
 * Behaviour is chosen by the last four digits of the payee account (or set per order number with
 * PUT /_control/behaviour/:orderNo before the order is sent):
 *   …9001 refuse   the bank refuses the order (422 ACCOUNT_MISMATCH, 户名与账号不符)
 *   …9002 refund   accepted, then a 退票 notice (收款账户已销户)
 *   …9003 twice    accepted, the same arrival notice sent twice, then once more under a new id
 *   …9004 silent   accepted, no notice ever; 查询 answers paid
 *   …9005 lost     accepted, no notice ever; 查询 answers pending
 *   …9006 slow     the submission is answered after slowMs (default 3 s), then paid
 *   …9007 flaky    the first two submissions answer 503, then paid
 *   …9008 hold     accepted; the notice waits for POST /_control/orders/:orderNo/release
 *   …9009 down     every submission answers 503 (until PUT /_control/behaviour/:orderNo sets another)
 *   anything else  paid: the notice follows after noticeDelayMs (default 200 ms)
 * Test control (unsigned, bound to 127.0.0.1): GET /_control/orders/:orderNo (the order, how many
 * times it was submitted and accepted, its notices), POST /_control/orders/:orderNo/notify
 * ({ status?, sameId?, reason? }: send another notice now; status refunded is a 退票, also after paid), POST /_control/orders/:orderNo/release,
 * PUT /_control/behaviour/:orderNo ({ behaviour }), GET /_control/stats.
 * With a state file (BANK_SIM_STATE_FILE / stateFile) orders and undelivered notices survive a
 * restart of the simulator, and delivery resumes.
 */

export const BEHAVIOURS = ['paid', 'refuse', 'refund', 'twice', 'silent', 'lost', 'slow', 'flaky', 'hold', 'down'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];
const BY_SUFFIX: Record<string, Behaviour> = {
  '9001': 'refuse',
  '9002': 'refund',
  '9003': 'twice',
  '9004': 'silent',
  '9005': 'lost',
  '9006': 'slow',
  '9007': 'flaky',
  '9008': 'hold',
  '9009': 'down',
};

export function behaviourOfAccount(account: string): Behaviour {
  return BY_SUFFIX[account.replace(/\D/g, '').slice(-4)] ?? 'paid';
}

interface SimOrder {
  orderNo: string;
  bankRef: string;
  amountFen: number;
  payeeName: string;
  payeeAccount: string;
  notifyUrl: string;
  behaviour: Behaviour;
  status: 'pending' | 'paid' | 'refunded';
  reason: string | null;
  submissions: number;
  accepted: number;
  createdAt: string;
}

interface Notice {
  noticeId: string;
  orderNo: string;
  bankRef: string;
  status: 'paid' | 'refunded';
  amountFen: number;
  reason: string | null;
  at: string;
}

interface Delivery {
  notice: Notice;
  url: string;
  attempts: number;
  held: boolean;
  delivered: boolean;
  lastStatus: number | null;
}

interface State {
  orders: Record<string, SimOrder>;
  /** Rejected submissions by order number (refuse, flaky) and explicit behaviours. */
  refused: Record<string, number>;
  behaviours: Record<string, Behaviour>;
  deliveries: Delivery[];
  seq: number;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  secret: string;
  stateFile?: string;
  noticeDelayMs?: number;
  slowMs?: number;
  /** First retry of an undelivered notice; doubled up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  log?: (line: string) => void;
}

export interface BankSimulator {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** The simulator's view of an order (as GET /_control/orders/:orderNo). */
  order(orderNo: string): { order: SimOrder | null; notices: Delivery[] };
  /** Every order the simulator took (the fault drill counts the payees paid more than once). */
  orders(): SimOrder[];
}

export async function startBankSimulator(options: SimulatorOptions): Promise<BankSimulator> {
  const noticeDelayMs = options.noticeDelayMs ?? 200;
  const slowMs = options.slowMs ?? 3000;
  const retryMs = options.retryMs ?? 200;
  const maxRetryMs = options.maxRetryMs ?? 3000;
  const log = options.log ?? (() => undefined);
  const state: State = load(options.stateFile);
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const save = (): void => {
    if (!options.stateFile) return;
    const tmp = `${options.stateFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, options.stateFile);
  };
  const later = (ms: number, fn: () => void): void => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };

  const deliver = (d: Delivery): void => {
    if (d.delivered || d.held || stopped) return;
    const body = JSON.stringify(d.notice);
    const ts = String(Date.now());
    d.attempts += 1;
    const attempt = fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: ts,
        [SIGNATURE_HEADER]: signBankMessage(options.secret, ts, body),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    void attempt
      .then(async (res) => {
        await res.text().catch(() => '');
        d.lastStatus = res.status;
        if (res.status >= 200 && res.status < 300) {
          d.delivered = true;
          save();
          log(`notice ${d.notice.noticeId} (${d.notice.orderNo} ${d.notice.status}) delivered`);
          return;
        }
        throw new Error(`HTTP ${res.status}`);
      })
      .catch((err: unknown) => {
        if (stopped) return;
        save();
        const wait = Math.min(maxRetryMs, retryMs * 2 ** Math.min(d.attempts - 1, 8));
        log(`notice ${d.notice.noticeId} not delivered (${(err as Error).message}), again in ${wait} ms`);
        later(wait, () => deliver(d));
      });
  };

  const queueNotice = (
    o: SimOrder,
    status: 'paid' | 'refunded',
    opts: { noticeId?: string; delayMs?: number; held?: boolean } = {},
  ): Delivery => {
    state.seq += 1;
    const d: Delivery = {
      notice: {
        noticeId: opts.noticeId ?? `N${Date.now().toString(36)}${state.seq.toString(36)}${crypto.randomBytes(3).toString('hex')}`,
        orderNo: o.orderNo,
        bankRef: o.bankRef,
        status,
        amountFen: o.amountFen,
        reason: o.reason,
        at: new Date().toISOString(),
      },
      url: o.notifyUrl,
      attempts: 0,
      held: opts.held ?? false,
      delivered: false,
      lastStatus: null,
    };
    state.deliveries.push(d);
    save();
    later(opts.delayMs ?? noticeDelayMs, () => deliver(d));
    return d;
  };

  const accept = (o: SimOrder): void => {
    switch (o.behaviour) {
      case 'refund':
        o.status = 'refunded';
        o.reason = '收款账户已销户，款项退回';
        queueNotice(o, 'refunded');
        break;
      case 'twice': {
        o.status = 'paid';
        const first = queueNotice(o, 'paid');
        queueNotice(o, 'paid', { noticeId: first.notice.noticeId, delayMs: noticeDelayMs + 50 });
        queueNotice(o, 'paid', { delayMs: noticeDelayMs + 400 });
        break;
      }
      case 'silent':
        o.status = 'paid';
        break;
      case 'lost':
        o.status = 'pending';
        break;
      case 'hold':
        o.status = 'paid';
        queueNotice(o, 'paid', { held: true });
        break;
      default:
        o.status = 'paid';
        queueNotice(o, 'paid');
    }
  };

  const submit = async (p: Record<string, unknown>): Promise<{ status: number; body: unknown }> => {
    const orderNo = String(p.orderNo ?? '');
    if (
      !/^[A-Za-z0-9-]{1,40}$/.test(orderNo) ||
      !Number.isSafeInteger(p.amountFen) ||
      (p.amountFen as number) <= 0 ||
      typeof p.payeeAccount !== 'string' ||
      typeof p.notifyUrl !== 'string'
    ) {
      return { status: 400, body: { code: 'BAD_REQUEST', reason: '报文不完整' } };
    }
    const existing = state.orders[orderNo];
    if (existing) {
      existing.submissions += 1;
      save();
      return { status: 200, body: { bankRef: existing.bankRef, duplicate: true } };
    }
    const behaviour = state.behaviours[orderNo] ?? behaviourOfAccount(p.payeeAccount);
    if (behaviour === 'slow') await new Promise((r) => setTimeout(r, slowMs));
    if (behaviour === 'refuse') {
      state.refused[orderNo] = (state.refused[orderNo] ?? 0) + 1;
      save();
      return { status: 422, body: { code: 'ACCOUNT_MISMATCH', reason: '收款人户名与账号不符' } };
    }
    if (behaviour === 'down' || (behaviour === 'flaky' && (state.refused[orderNo] ?? 0) < 2)) {
      state.refused[orderNo] = (state.refused[orderNo] ?? 0) + 1;
      save();
      return { status: 503, body: { code: 'BUSY', reason: '系统繁忙' } };
    }
    const o: SimOrder = {
      orderNo,
      bankRef: `B${Date.now().toString(36).toUpperCase()}${crypto.randomBytes(3).toString('hex').toUpperCase()}`,
      amountFen: p.amountFen as number,
      payeeName: String(p.payeeName ?? ''),
      payeeAccount: p.payeeAccount,
      notifyUrl: p.notifyUrl,
      behaviour,
      status: 'pending',
      reason: null,
      submissions: 1,
      accepted: 1,
      createdAt: new Date().toISOString(),
    };
    state.orders[orderNo] = o;
    accept(o);
    save();
    log(`order ${orderNo} accepted (${behaviour})`);
    return { status: 201, body: { bankRef: o.bankRef, duplicate: false } };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://localhost');
        const send = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(body));
        };
        let body: Record<string, unknown> = {};
        try {
          body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          return send(400, { code: 'BAD_JSON' });
        }
        const path = url.pathname;
        if (path.startsWith('/bank/')) {
          const signed = Buffer.from(`${req.method} ${path}\n${raw.toString('utf8')}`, 'utf8');
          const check = checkBankSignature(
            options.secret,
            header(req, TIMESTAMP_HEADER),
            header(req, SIGNATURE_HEADER),
            signed,
            Date.now(),
          );
          if (!check.ok) return send(401, { code: 'BAD_SIGNATURE', reason: check.reason });
          if (req.method === 'POST' && path === '/bank/payments') {
            const r = await submit(body);
            return send(r.status, r.body);
          }
          const m = /^\/bank\/payments\/([^/]+)$/.exec(path);
          if (req.method === 'GET' && m) {
            const o = state.orders[decodeURIComponent(m[1]!)];
            if (!o) return send(404, { code: 'NOT_FOUND' });
            return send(200, { orderNo: o.orderNo, bankRef: o.bankRef, status: o.status, reason: o.reason });
          }
          return send(404, { code: 'NOT_FOUND' });
        }
        const c = /^\/_control\/orders\/([^/]+)(?:\/(notify|release))?$/.exec(path);
        if (c) {
          const orderNo = decodeURIComponent(c[1]!);
          const o = state.orders[orderNo];
          if (!c[2] && req.method === 'GET')
            return send(200, {
              order: o ?? null,
              refused: state.refused[orderNo] ?? 0,
              notices: state.deliveries.filter((d) => d.notice.orderNo === orderNo),
            });
          if (!o) return send(404, { code: 'NOT_FOUND' });
          if (c[2] === 'notify' && req.method === 'POST') {
            const status = body.status === 'refunded' ? 'refunded' : 'paid';
            // A 退票 after the bank paid (its money came back): the order's state and the notice say so.
            if (status === 'refunded' && !body.sameId) {
              o.status = 'refunded';
              o.reason = typeof body.reason === 'string' && body.reason ? body.reason.slice(0, 200) : '收款行退票，款项退回';
            }
            const same = body.sameId === true ? state.deliveries.find((d) => d.notice.orderNo === orderNo) : undefined;
            const d = queueNotice(o, status, { noticeId: same?.notice.noticeId, delayMs: 0 });
            return send(202, { noticeId: d.notice.noticeId });
          }
          if (c[2] === 'release' && req.method === 'POST') {
            const held = state.deliveries.filter((d) => d.notice.orderNo === orderNo && d.held);
            for (const d of held) {
              d.held = false;
              deliver(d);
            }
            save();
            return send(202, { released: held.length });
          }
        }
        const b = /^\/_control\/behaviour\/([^/]+)$/.exec(path);
        if (b && req.method === 'PUT' && (BEHAVIOURS as readonly string[]).includes(String(body.behaviour))) {
          state.behaviours[decodeURIComponent(b[1]!)] = body.behaviour as Behaviour;
          save();
          return send(200, { ok: true });
        }
        if (path === '/_control/stats' && req.method === 'GET') {
          const orders = Object.values(state.orders);
          return send(200, {
            orders: orders.length,
            submissions: orders.reduce((s, o) => s + o.submissions, 0),
            noticesPending: state.deliveries.filter((d) => !d.delivered).length,
          });
        }
        if (path === '/health') return send(200, { ok: true });
        return send(404, { code: 'NOT_FOUND' });
      })().catch(() => {
        res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // Resume what a previous run left undelivered.
  for (const d of state.deliveries) if (!d.delivered && !d.held) later(retryMs, () => deliver(d));

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    order: (orderNo) => ({ order: state.orders[orderNo] ?? null, notices: state.deliveries.filter((d) => d.notice.orderNo === orderNo) }),
    orders: () => Object.values(state.orders).map((o) => ({ ...o })),
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function load(file: string | undefined): State {
  const empty: State = { orders: {}, refused: {}, behaviours: {}, deliveries: [], seq: 0 };
  if (!file || !fs.existsSync(file)) return empty;
  return { ...empty, ...(JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<State>) };
}

async function main(): Promise<void> {
  // The platform's own configuration names the port and the secret (server/config.ts).
  const config = loadConfig();
  const sim = await startBankSimulator({
    port: config.bank.simPort,
    secret: config.bank.secret,
    stateFile: process.env.BANK_SIM_STATE_FILE || undefined,
    log: (line) => console.log(`[bank-sim] ${line}`),
  });
  console.log(`银行模拟器已启动：${sim.url}（通知签名 HMAC-SM3；按收款账号末四位选择行为，见 scripts/bank-simulator.ts）`);
  const stop = (): void => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  void main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
