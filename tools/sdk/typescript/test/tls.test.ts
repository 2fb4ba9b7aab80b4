// HTTPS with a private CA and a client certificate, through the `dispatcher`
// option, as the README shows it: tenantkv-server with --tls-cert,
// --tls-client-ca and --admin-require-client-cert; certificates made by the
// openssl command line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { ConnectionError, PermissionDeniedError, TenantKV } from "../dist/index.js";
import { Server } from "./harness.js";

// Node's fetch is undici's, but Node does not export undici's Agent; an app
// installs the undici package for it (README). The test borrows the class of
// Node's own global dispatcher instead, so that it needs no such package.
async function agentClass(): Promise<new (o: object) => object> {
  await fetch("http://127.0.0.1:1").catch(() => undefined);
  const d = (globalThis as Record<symbol, unknown>)[Symbol.for("undici.globalDispatcher.1")];
  assert.ok(d !== null && typeof d === "object", "Node's fetch has a global undici dispatcher");
  return d.constructor as new (o: object) => object;
}

const dir = mkdtempSync(join(tmpdir(), "tenantkv-sdk-tls-"));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256. */
function makeCerts(): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sdk-test-ca");
  for (const [name, ext] of [
    ["server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"],
    ["client", "extendedKeyUsage=clientAuth\n"],
  ] as const) {
    writeFileSync(file(`${name}.ext`), ext);
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=sdk-test-${name}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
  }
}

let server: Server;
let Agent: new (o: object) => object;

before(async () => {
  makeCerts();
  Agent = await agentClass();
  server = await Server.start([
    "--tls-cert", file("server.pem"), "--tls-key", file("server.key"),
    "--tls-client-ca", file("ca.pem"), "--admin-require-client-cert",
  ]);
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("TLS through the dispatcher option", () => {
  it("trusts a private CA, and presents a client certificate where admin routes need one", async () => {
    assert.match(server.url, /^https:/);
    const ca = readFileSync(file("ca.pem"));
    const mtls = new Agent({
      connect: { ca, cert: readFileSync(file("client.pem")), key: readFileSync(file("client.key")) },
    });
    // The operator's calls, with the client certificate.
    const created = await fetch(`${server.url}/admin/v1/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.operatorToken}` },
      body: JSON.stringify({ id: "tls" }),
      dispatcher: mtls,
    } as RequestInit);
    assert.equal(created.status, 201);
    const operator = new TenantKV({ baseUrl: server.url, token: server.operatorToken, dispatcher: mtls });
    const key = await operator.createApiKey("tls", "admin");

    // Data routes need no client certificate: the CA is enough.
    const kv = new TenantKV({ baseUrl: server.url, token: key.token, dispatcher: new Agent({ connect: { ca } }) });
    await kv.put("k", "over TLS");
    assert.equal((await kv.get("k"))?.text(), "over TLS");
    // Admin routes without one are refused before the token is looked at.
    await assert.rejects(kv.getQuota("tls"), (e: unknown) => {
      return e instanceof PermissionDeniedError && e.code === "client_cert_required";
    });
    const withCert = new TenantKV({ baseUrl: server.url, token: key.token, dispatcher: mtls });
    assert.equal((await withCert.getQuota("tls")).version, 1);
  });

  it("without the CA the server's certificate is not trusted", async () => {
    const kv = new TenantKV({ baseUrl: server.url, token: "t", retry: false });
    await assert.rejects(kv.usage(), (e: unknown) => e instanceof ConnectionError && e.code === "network_error");
  });
});
