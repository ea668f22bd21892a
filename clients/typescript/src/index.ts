/**
 * kassa's HTTP API for TypeScript: the types generated from its /openapi.json
 * (openapi-typescript) and a thin fetch client (openapi-fetch) that carries the credentials
 * and gives every POST an Idempotency-Key, so a retried create never makes a second payment.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type Payment = components["schemas"]["PaymentOut"];
export type Tariff = components["schemas"]["TariffOut"];
export type Subscription = components["schemas"]["SubscriptionOut"];
export type Refund = components["schemas"]["RefundOut"];
export type Problem = components["schemas"]["Problem"];

export interface KassaOptions {
  /** a service API key: acts for any user who is named with `user_id` */
  apiKey?: string;
  /** a user's (or admin's) bearer token */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

const idempotency: Middleware = {
  async onRequest({ request }) {
    if (request.method === "POST" && !request.headers.has("Idempotency-Key")) {
      request.headers.set("Idempotency-Key", crypto.randomUUID());
    }
    return request;
  },
};

export function createKassa(baseUrl: string, options: KassaOptions = {}): Client<paths> {
  const headers: Record<string, string> = {};
  if (options.apiKey) headers["X-API-Key"] = options.apiKey;
  else if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  const client = createClient<paths>({ baseUrl, headers, fetch: options.fetch });
  client.use(idempotency);
  return client;
}

/** Checks a `Kassa-Signature: t=<unix>,v1=<hex>` header against the raw body (Web Crypto). */
export async function verifySignature(
  secret: string,
  body: string,
  header: string,
  toleranceSeconds = 300,
): Promise<boolean> {
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const [key, value = ""] = item.trim().split("=", 2);
    parts.set(key, [...(parts.get(key) ?? []), value]);
  }
  const stamp = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(stamp) || Math.abs(Date.now() / 1000 - stamp) > toleranceSeconds) {
    return false;
  }
  const key = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${stamp}.${body}`));
  const expected = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return (parts.get("v1") ?? []).some((given) => given === expected);
}
