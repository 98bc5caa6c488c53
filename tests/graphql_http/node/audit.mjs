// graphql-http's server audits (GraphQL over HTTP conformance) against the URL given as the
// first argument; prints one JSON array: {id, name, status, reason?, responseStatus?, body?}
// per audit (status "ok", or "notice" / "warn" / "error").
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url>');
  process.exit(2);
}

const results = await auditServer({ url });
const out = [];
for (const result of results) {
  const row = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    row.reason = result.reason;
    row.responseStatus = result.response.status;
    row.contentType = result.response.headers.get('content-type');
    try {
      row.body = (await result.response.text()).slice(0, 500);
    } catch {
      row.body = null; // already read by the audit
    }
  }
  out.push(row);
}
process.stdout.write(JSON.stringify(out) + '\n');
