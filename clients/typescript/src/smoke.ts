/**
 * Run against a live kassa by kassa's test suite: `node dist/smoke.js <base url> <api key>
 * <user id>` creates a payment as a service, reads it back, provokes a problem, and prints
 * what it saw as JSON.
 */
import { createKassa, type Payment } from "./index.js";

const [baseUrl, apiKey, userId] = process.argv.slice(2);
const kassa = createKassa(baseUrl, { apiKey });

const created = await kassa.POST("/api/v1/payments", {
  body: { provider: "payme", amount: 250_000, currency: "UZS", user_id: userId, description: "from TypeScript" },
});
const payment: Payment | undefined = created.data;
if (!payment) throw new Error(JSON.stringify(created.error));
const read = await kassa.GET("/api/v1/payments/{payment_id}", {
  params: { path: { payment_id: payment.id } },
});
const missing = await kassa.GET("/api/v1/payments/{payment_id}", {
  params: { path: { payment_id: "pay_missing" } },
});
console.log(JSON.stringify({
  id: payment.id,
  status: read.data?.status,
  amount: read.data?.amount,
  created_status: created.response.status,
  missing_status: missing.response.status,
  missing_code: (missing.error as { code?: string } | undefined)?.code,
}));
