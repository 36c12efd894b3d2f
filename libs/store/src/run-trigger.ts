/**
 * A webhook run's trigger is what its delivery's record holds: the body, the masked headers,
 * the query, method, path, client address, time received and delivery id. On SQLite a run whose
 * delivery came with a JSON body stores no copy of it (`trigger` is '', TRIGGER_FROM_DELIVERY)
 * and the trigger is built from the delivery's record whenever the run is read. A run's row is
 * rewritten at its claim, at each lease check and at its end; with a ~1.5 KB trigger in it, each
 * rewrite cost SQLite several times as much (docs/performance-notes.md). On PostgreSQL the
 * trigger is still written in full, so that processes of the previous version, which read only
 * that, keep executing the runs of this one during a rolling upgrade.
 *
 * A body that is not JSON (XML, a form, text) reaches the steps parsed, which its record does
 * not hold: its run stores the trigger in full on either database. A replay stores the trigger
 * in full too, so that it never depends on a delivery that retention may remove with the
 * original run.
 */
import type { Row, Sql } from './database.js';

/** What `runs.trigger` holds for a run whose trigger is its delivery's record. */
export const TRIGGER_FROM_DELIVERY = '';

/** The delivery fields a trigger is made of; `body`, `headers` and `query` as JSON text. */
export interface TriggerFields {
  deliveryId: string;
  body: string;
  headers: string;
  query: string;
  method: string;
  path: string;
  ip: string;
  receivedAt: number;
}

/**
 * The trigger as JSON text: `{ body, headers, query, method, path, ip, receivedAt, deliveryId }`,
 * in that order. A body as received may begin with a byte-order mark, which intake's UTF-8
 * decoding left out of the body it parsed.
 */
export function triggerJson(fields: TriggerFields): string {
  const body = fields.body.charCodeAt(0) === 0xfeff ? fields.body.slice(1) : fields.body;
  return (
    `{"body":${body},"headers":${fields.headers},"query":${fields.query},"method":${JSON.stringify(fields.method)},` +
    `"path":${JSON.stringify(fields.path)},"ip":${JSON.stringify(fields.ip)},"receivedAt":"${new Date(fields.receivedAt).toISOString()}",` +
    `"deliveryId":${JSON.stringify(fields.deliveryId)}}`
  );
}

/** Why a run's trigger cannot be built: its delivery's record is gone (deleted by hand). */
export const TRIGGER_DELIVERY_MISSING = 'trigger_delivery_missing';

/**
 * Rows of `runs` (with `trigger` and `delivery_id`) with each TRIGGER_FROM_DELIVERY trigger
 * replaced by the text built from its delivery. When that delivery is not stored, the row's
 * `trigger` stays '' and TRIGGER_DELIVERY_MISSING says so.
 */
export async function withDeliveryTriggers<T extends Row>(sql: Sql, rows: T[]): Promise<T[]> {
  const ids = [...new Set(rows.filter(fromDelivery).map((row) => String(row.delivery_id)))];
  if (ids.length === 0) return rows;
  const deliveries = await sql.all(
    `SELECT id, body, headers, query, method, path, ip, received_at FROM deliveries WHERE id IN (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  const byId = new Map(deliveries.map((delivery) => [String(delivery.id), delivery]));
  for (const row of rows) {
    if (!fromDelivery(row)) continue;
    const delivery = byId.get(String(row.delivery_id));
    const target = row as Row;
    if (!delivery || delivery.body === null) {
      target[TRIGGER_DELIVERY_MISSING] = `the delivery ${String(row.delivery_id)} it is read from is not stored`;
      continue;
    }
    target.trigger = triggerJson({
      deliveryId: String(delivery.id),
      body: String(delivery.body),
      headers: String(delivery.headers),
      query: String(delivery.query),
      method: String(delivery.method),
      path: String(delivery.path),
      ip: String(delivery.ip),
      receivedAt: Number(delivery.received_at),
    });
  }
  return rows;
}

function fromDelivery(row: Row): boolean {
  return row.trigger === TRIGGER_FROM_DELIVERY && row.delivery_id !== null && row.delivery_id !== undefined;
}
