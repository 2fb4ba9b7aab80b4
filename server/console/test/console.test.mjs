// The console in headless Chromium (Debian's, driven by puppeteer-core)
// against a real tenantkv-server started here on port 0. Environment:
//   TENANTKV_SERVER_BIN  the server binary (required)
//   CHROMIUM             the browser (default /usr/bin/chromium)
//   CONSOLE_SCREENSHOTS  a directory: the main views are saved there as PNG
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const serverBin = process.env.TENANTKV_SERVER_BIN;
const shots = process.env.CONSOLE_SCREENSHOTS || "";
let server;
let dir;
let base;
let operator;
let browser;
const keys = {};

async function call(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  assert.ok(serverBin, "TENANTKV_SERVER_BIN must name tenantkv-server");
  dir = mkdtempSync(join(tmpdir(), "tkv-console-"));
  const args = ["--data-dir", join(dir, "data"), "--listen", "127.0.0.1:0", "--log-level", "warn"];
  // The alerts test's receiver is plain http on 127.0.0.1.
  args.push("--webhook-allow-http", "--webhook-allow-private-addresses");
  server = spawn(serverBin, args, {
    stdio: ["ignore", "pipe", "pipe"],
  });
  base = await new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${seen}`)), 60_000);
    const look = (chunk) => {
      seen += chunk;
      const m = seen.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    server.stdout.on("data", look);
    server.stderr.on("data", look);
    server.on("exit", (code) => reject(new Error(`server exited ${code}: ${seen}`)));
  });
  operator = readFileSync(join(dir, "data", "operator.token"), "utf8").trim();
  for (const id of ["acme", "globex"]) {
    assert.equal((await call("POST", "/admin/v1/tenants", operator, { id })).status, 201);
    const made = await call("POST", `/admin/v1/tenants/${id}/apikeys`, operator, { role: "admin" });
    assert.equal(made.status, 201);
    keys[id] = made.body.token;
    const write = await call("POST", `/admin/v1/tenants/${id}/apikeys`, operator, { role: "write" });
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${base}/v1/kv/k${i}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${write.body.token}` },
        body: `${id}-${i}`,
      });
      assert.equal(r.status, 201);
    }
  }
  // One refusal for acme's charts and tables: a value over its 1 MiB limit.
  const writer = await call("POST", "/admin/v1/tenants/acme/apikeys", operator, { role: "write" });
  const big = await fetch(`${base}/v1/kv/too-big`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${writer.body.token}` },
    body: "x".repeat((1 << 20) + 1),
  });
  assert.equal(big.status, 413);
  if (shots) mkdirSync(shots, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// A fresh tab signed in with `token`; fails the test on any page error.
async function signIn(token, kind = "tenant") {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  const res = await page.goto(`${base}/console/`, { waitUntil: "networkidle0" });
  assert.equal(res.status(), 200);
  await page.select("select[name=kind]", kind);
  await page.type("input[type=password]", token);
  await page.click("button[type=submit]");
  await page.waitForSelector("nav a.current");
  return { page, problems };
}

async function openView(page, title) {
  await page.evaluate((t) => {
    for (const a of document.querySelectorAll("nav a")) if (a.textContent === t) a.click();
  }, title);
  await page.waitForFunction(
    (t) => document.querySelector("nav a.current")?.textContent === t && document.querySelector("main section"),
    {},
    title,
  );
  // Its data arrive after the first section; wait until the page settles.
  await page.waitForNetworkIdle({ idleTime: 200 });
  if (shots) await page.screenshot({ path: join(shots, `${title.toLowerCase().replace(/ /g, "-")}.png`), fullPage: true });
}

const text = (page) => page.evaluate(() => document.body.innerText);

test("the page carries a strict Content-Security-Policy and no cookie", async () => {
  const page = await browser.newPage();
  const res = await page.goto(`${base}/console/`);
  const csp = res.headers()["content-security-policy"];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(res.headers()["set-cookie"], undefined);
  assert.deepEqual(await page.cookies(), []);
  await page.close();
});

test("a tenant admin sees every view of its own tenant with live data", async () => {
  const { page, problems } = await signIn(keys.acme);
  for (const view of ["Usage", "Quota", "API keys", "Alerts", "Data keys", "Audit"]) {
    await openView(page, view);
    assert.equal(await page.$(".error"), null, `${view}: ${await text(page)}`);
  }
  await openView(page, "Usage");
  const usage = await text(page);
  assert.match(usage, /Usage of acme/);
  assert.match(usage, /logical_bytes/);
  // Remaining capacity, the burn rate and the refusals it met.
  assert.ok(await page.$("tr[data-quota=storage_bytes] meter"));
  assert.ok(await page.$("tr[data-quota=requests_per_sec]"));
  assert.match(usage, /Storage burn rate: .* per hour\./);
  assert.match(usage, /value_too_large\s+1/);
  // The history as charts drawn by uPlot, with the hour's totals from the server.
  for (const chart of ["requests", "bytes", "storage", "throttled"]) {
    assert.ok(await page.$(`figure.chart[data-chart=${chart}] .uplot canvas`), chart);
  }
  const requests = await page.$eval("figure.chart[data-chart=requests] figcaption", (e) => e.textContent);
  const m = requests.match(/^Requests: ([\d,]+) in the last hour$/);
  assert.ok(m, requests);
  assert.ok(Number(m[1].replace(/,/g, "")) >= 11, requests);  // 5 PUTs, the 413, and the console's own calls
  assert.match(await page.$eval("figure.chart[data-chart=throttled] figcaption", (e) => e.textContent), /^Refused requests: 1 in/);
  await page.select("select[name=window]", "24h");
  await page.waitForFunction(() =>
    /in the last day$/.test(document.querySelector("figure.chart[data-chart=requests] figcaption")?.textContent ?? ""),
  );
  await openView(page, "Audit");
  assert.match(await text(page), /tenant\.create/);
  assert.deepEqual(problems, []);
  // The key lives in this tab's sessionStorage, nowhere else.
  const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length }));
  assert.deepEqual(stored, { session: 2, local: 0 });  // the key and its kind
  await page.close();
});

test("a quota edit within the plan's range is applied; one outside is refused with the server's message", async () => {
  const { page } = await signIn(keys.acme);
  await openView(page, "Quota");
  const plan = (await call("GET", "/admin/v1/plans/standard", operator)).body;
  const field = "requests_per_sec";
  const inside = Math.max(plan.min[field], plan.max[field] - 1);
  await page.type(`input[name=${field}]`, String(inside));
  await page.click("form button[type=submit]");
  await page.waitForFunction(() => /Manifest version 2/.test(document.body.innerText));
  const quota = (await call("GET", "/admin/v1/tenants/acme/quota", operator)).body;
  assert.equal(quota.quota[field], inside);
  await page.$eval(`input[name=${field}]`, (e) => (e.value = ""));
  await page.type(`input[name=${field}]`, String(plan.max[field] + 1));
  await page.click("form button[type=submit]");
  await page.waitForSelector(".error");
  assert.match(await page.$eval(".error", (e) => e.textContent), /outside_plan_range/);
  assert.equal((await call("GET", "/admin/v1/tenants/acme/quota", operator)).body.quota[field], inside);
  // Back to version 1 from the history: its values set again, as version 3.
  const before = (await call("GET", "/admin/v1/tenants/acme/quota/history", operator)).body.versions;
  await page.click("button[data-version='1']");
  await page.waitForFunction(() => /Manifest version 3/.test(document.body.innerText));
  assert.equal((await call("GET", "/admin/v1/tenants/acme/quota", operator)).body.quota[field], before[0].quota[field]);
  await page.close();
});

test("an API key is created, shown once, and revoked", async () => {
  const { page } = await signIn(keys.acme);
  await openView(page, "API keys");
  const before = (await call("GET", "/admin/v1/tenants/acme/apikeys", operator)).body.keys.length;
  await page.select("select[name=role]", "read");
  await page.type("input[name=name]", "reporting job");
  await page.click("form button[type=submit]");
  await page.waitForSelector(".secret");
  const token = await page.$eval(".secret", (e) => e.textContent);
  assert.match(token, /^tkv_/);
  assert.equal((await fetch(`${base}/v1/usage`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  const listed = (await call("GET", "/admin/v1/tenants/acme/apikeys", operator)).body.keys;
  assert.equal(listed.length, before + 1);
  const made = listed.find((k) => k.role === "read");
  assert.equal(made.name, "reporting job");
  await page.waitForNetworkIdle({ idleTime: 200 });
  await page.evaluate((id) => {
    for (const tr of document.querySelectorAll("tr")) {
      if (tr.textContent.includes(id)) tr.querySelector("button")?.click();
    }
  }, made.key_id);
  // Revoked at once: its token stops working, and the list says so.
  let state;
  for (let i = 0; i < 100; i++) {
    state = (await call("GET", "/admin/v1/tenants/acme/apikeys", operator)).body.keys.find((k) => k.key_id === made.key_id);
    if (!state || state.revoked || state.state === "revoked" || state.revoked_at) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!state || state.revoked || state.state === "revoked" || state.revoked_at, JSON.stringify(state));
  assert.equal((await fetch(`${base}/v1/usage`, { headers: { Authorization: `Bearer ${token}` } })).status, 401);
  await page.close();
});

test("markup from the server is shown as text, never run", async () => {
  const { page } = await signIn(keys.acme);
  await openView(page, "Quota");
  // The server echoes an unknown field's name in its problem detail.
  const evil = '<img src=x onerror="window.__ran=1"><script>window.__ran=2</script>';
  await page.$eval("input[name=weight]", (e, name) => {
    e.name = name;
    e.value = "1";
  }, evil);
  await page.click("form button[type=submit]");
  await page.waitForSelector(".error");
  const shown = await page.$eval(".error", (e) => e.textContent);
  assert.match(shown, /^400 unknown_field/);
  assert.ok(shown.includes("<img src=x"), shown);
  assert.equal(await page.evaluate(() => window.__ran), undefined);
  assert.equal(await page.$("main img"), null);
  assert.equal(await page.$("main script"), null);
  await page.close();
});

test("an injected <script> in a tenant's audit details is shown as text, never run", async () => {
  const evil = '<script>window.__ran=3</script><img src=x onerror="window.__ran=4">';
  const made = await call("POST", "/admin/v1/tenants/acme/apikeys", keys.acme, { role: "read", name: evil });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  for (const [token, kind, view] of [
    [keys.acme, "tenant", "Audit"],
    [keys.acme, "tenant", "API keys"],
    [operator, "operator", "Audit"],
  ]) {
    const { page, problems } = await signIn(token, kind);
    await openView(page, view);
    const shown = await text(page);
    assert.ok(shown.includes("<script>window.__ran=3</script>"), `${view}: ${shown}`);
    assert.equal(await page.evaluate(() => window.__ran), undefined);
    assert.equal(await page.$("main script"), null);
    assert.equal(await page.$("main img"), null);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test("the operator sees the tenants, plans, keys and audit", async () => {
  const changed = await call("PUT", "/admin/v1/tenants/globex/quota", operator, { weight: 3 });
  assert.equal(changed.status, 200);
  const { page, problems } = await signIn(operator, "operator");
  for (const view of ["Tenants", "Plans", "Requests", "Alerts", "Keys", "Audit"]) {
    await openView(page, view);
    assert.equal(await page.$(".error"), null, `${view}: ${await text(page)}`);
  }
  await openView(page, "Tenants");
  const list = await text(page);
  assert.match(list, /acme/);
  assert.match(list, /globex/);
  await page.evaluate(() => {
    for (const tr of document.querySelectorAll("tr")) if (tr.textContent.includes("globex")) tr.querySelector("button")?.click();
  });
  await page.waitForFunction(() => /Tenant globex/.test(document.body.innerText));
  await page.waitForNetworkIdle({ idleTime: 200 });
  // Its history charts, its quota with revert, its data keys and audit.
  assert.ok(await page.$("figure.chart[data-chart=requests] .uplot canvas"));
  const drilled = await text(page);
  assert.match(drilled, /Quota history, newest first/);
  assert.match(drilled, /Data-key versions/);
  assert.match(drilled, /Audit entries of this tenant/);
  assert.doesNotMatch(drilled.slice(drilled.indexOf("Tenant globex")), /acme/);
  if (shots) await page.screenshot({ path: join(shots, "operator-tenant.png"), fullPage: true });
  await page.click("button[data-version='1']");  // the operator's revert route
  await page.waitForFunction(() => /Manifest version 3/.test(document.body.innerText));
  const reverted = (await call("GET", "/admin/v1/tenants/globex/quota/history", operator)).body.versions;
  assert.equal(reverted.length, 3);
  assert.deepEqual(reverted[2].quota, reverted[0].quota);
  // The search goes to the server: by id prefix and by state.
  await openView(page, "Tenants");
  await page.type("input[name=prefix]", "glo");
  await page.click("form.filters button[type=submit]");
  await page.waitForFunction(() => /1 tenant\(s\) shown/.test(document.body.innerText));
  const found = await text(page);
  assert.match(found, /globex/);
  assert.doesNotMatch(found, /acme/);
  await page.$eval("input[name=prefix]", (e) => (e.value = ""));
  await page.select("select[name=state]", "suspended");
  await page.click("form.filters button[type=submit]");
  await page.waitForFunction(() => /0 tenant\(s\) shown/.test(document.body.innerText));
  // The refusals column: acme met one.
  await page.select("select[name=state]", "");
  await page.click("form.filters button[type=submit]");
  await page.waitForFunction(() => /2 tenant\(s\) shown/.test(document.body.innerText));
  const refused = await page.evaluate(() => {
    const head = [...document.querySelectorAll("main table tr th")].map((th) => th.textContent);
    const col = head.indexOf("refused");
    const row = [...document.querySelectorAll("main table tr")].find((tr) => tr.textContent.includes("acme"));
    return row ? row.children[col].textContent : null;
  });
  assert.equal(refused, "1");
  await openView(page, "Keys");
  const keysView = await text(page);
  assert.match(keysView, /Data keys rotate after 90 days/);
  assert.match(keysView, /Due now or within 7 days/);
  assert.match(keysView, /Master key/);
  await openView(page, "Audit");
  assert.match(await text(page), /"ok":true|true/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the operator grants and cancels an add-on; the tenant admin sees it", async () => {
  const before = (await call("GET", "/admin/v1/tenants/acme/quota", operator)).body.quota;
  const { page, problems } = await signIn(operator, "operator");
  await openView(page, "Tenants");
  await page.evaluate(() => {
    for (const tr of document.querySelectorAll("tr")) if (tr.textContent.includes("acme")) tr.querySelector("button")?.click();
  });
  await page.waitForSelector("form.addon-form");
  await page.waitForNetworkIdle({ idleTime: 200 });
  await page.type("form.addon-form input[name=fields]", "weight=7 max_concurrent=99");
  // An hour from now in the browser's local time, as the input takes it.
  await page.$eval("form.addon-form input[name=ends_at]", (e) => {
    const d = new Date(Date.now() + 3600_000);
    const pad = (n) => String(n).padStart(2, "0");
    e.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  });
  await page.type("form.addon-form input[name=reason]", "<b>peak</b>");
  await page.click("form.addon-form button[type=submit]");
  await page.waitForFunction(() => /Add-on [0-9a-f]{16} (scheduled|active)/.test(document.body.innerText));
  const listed = (await call("GET", "/admin/v1/tenants/acme/addons", operator)).body.addons;
  assert.equal(listed.length, 1);
  assert.deepEqual(listed[0].fields, { max_concurrent: 99, weight: 7 });
  assert.equal(listed[0].reason, "<b>peak</b>");
  assert.equal(await page.$("main b"), null);  // the reason is text
  const id = listed[0].id;
  // It starts within a second or two; the tenant admin then sees it.
  let state = "";
  for (let i = 0; i < 50 && state !== "active"; i++) {
    state = (await call("GET", `/admin/v1/tenants/acme/addons/${id}`, operator)).body.state;
    if (state !== "active") await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(state, "active");
  const tenant = await signIn(keys.acme);
  await openView(tenant.page, "Quota");
  await tenant.page.waitForFunction((aid) => document.body.innerText.includes(aid), {}, id);
  assert.equal(await tenant.page.$("form.addon-form"), null);  // granting is the operator's
  assert.equal(await tenant.page.$(`button[data-addon='${id}']`), null);
  assert.deepEqual(tenant.problems, []);
  await tenant.page.close();
  // The operator cancels it: the values go back.
  await page.click(`button[data-addon='${id}']`);
  await page.waitForFunction((aid) => document.querySelector(`button[data-addon='${aid}']`)?.disabled === true, {}, id);
  const after = (await call("GET", `/admin/v1/tenants/acme/addons/${id}`, operator)).body;
  assert.equal(after.state, "cancelled");
  assert.deepEqual((await call("GET", "/admin/v1/tenants/acme/quota", operator)).body.quota, before);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a tenant admin files quota requests; the operator approves one and rejects another", async () => {
  const tenant = await signIn(keys.globex);
  await openView(tenant.page, "Quota");
  await tenant.page.waitForSelector("form.request-form");
  const file = async (fields, reason) => {
    await tenant.page.$eval("form.request-form input[name=fields]", (e) => (e.value = ""));
    await tenant.page.$eval("form.request-form input[name=reason]", (e) => (e.value = ""));
    await tenant.page.type("form.request-form input[name=fields]", fields);
    await tenant.page.type("form.request-form input[name=reason]", reason);
    const before = (await call("GET", "/v1/quota/requests", keys.globex)).body.requests.length;
    await tenant.page.click("form.request-form button[type=submit]");
    let now = before;
    for (let i = 0; i < 50 && now === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = (await call("GET", "/v1/quota/requests", keys.globex)).body.requests.length;
    }
    assert.equal(now, before + 1);
    const made = (await call("GET", "/v1/quota/requests", keys.globex)).body.requests.at(-1);
    await tenant.page.waitForFunction((rid) => document.body.innerText.includes(`Request ${rid} pending`), {}, made.id);
  };
  await file("requests_per_sec=4321", "<i>launch</i>");
  await file("max_concurrent=77", "spare");
  const own = (await call("GET", "/v1/quota/requests", keys.globex)).body.requests;
  assert.equal(own.length, 2);
  const [grant, refuse] = own;
  assert.equal(grant.reason, "<i>launch</i>");
  assert.deepEqual(grant.fields, { requests_per_sec: 4321 });
  assert.equal(await tenant.page.$("main i"), null);  // the reason is text
  // A bad field is refused with the server's message; nothing is filed.
  await tenant.page.$eval("form.request-form input[name=fields]", (e) => (e.value = "no_such_field=1"));
  await tenant.page.click("form.request-form button[type=submit]");
  await tenant.page.waitForFunction(() => /unknown quota field/i.test(document.body.innerText));
  assert.equal((await call("GET", "/v1/quota/requests", keys.globex)).body.requests.length, 2);

  const { page, problems } = await signIn(operator, "operator");
  await openView(page, "Requests");
  await page.waitForSelector(`button[data-request='${grant.id}'][data-verb=approve]`);
  await page.type("input[name=comment]", "ok for the launch");
  await page.click(`button[data-request='${grant.id}'][data-verb=approve]`);
  await page.waitForFunction((rid) => document.body.innerText.includes(`Request ${rid} approved`), {}, grant.id);
  await page.$eval("input[name=comment]", (e) => (e.value = ""));
  await page.click(`button[data-request='${refuse.id}'][data-verb=reject]`);
  await page.waitForFunction((rid) => document.body.innerText.includes(`Request ${rid} rejected`), {}, refuse.id);
  const decided = (await call("GET", "/v1/quota/requests", keys.globex)).body.requests;
  assert.deepEqual(decided.map((r) => r.state), ["approved", "rejected"]);
  assert.equal(decided[0].comment, "ok for the launch");
  assert.equal(decided[0].decided_by, "operator");
  assert.equal((await call("GET", "/admin/v1/tenants/globex/quota", operator)).body.quota.requests_per_sec, 4321);
  // Pending only (the default filter) now shows neither; both are decided.
  assert.equal(await page.$(`button[data-request='${grant.id}'][data-verb=approve]:not([disabled])`), null);
  assert.deepEqual(problems, []);
  await page.close();
  // The tenant admin sees the outcome.
  await openView(tenant.page, "Usage");
  await openView(tenant.page, "Quota");
  await tenant.page.waitForFunction((rid) => document.body.innerText.includes(rid), {}, grant.id);
  assert.match(await text(tenant.page), /approved/);
  // The one error the browser logged is the bad field's 400.
  assert.deepEqual(tenant.problems, ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
  await tenant.page.close();
});

test("a tenant admin adds an alert webhook, sees its signed deliveries and deletes it; the operator sees it", async () => {
  // A local receiver (the server runs with --webhook-allow-http and
  // --webhook-allow-private-addresses for it).
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  try {
    const { page, problems } = await signIn(keys.globex);
    await openView(page, "Alerts");
    await page.waitForSelector("form.webhook-form");
    // A URL the server refuses: its message, nothing made.
    await page.type("form.webhook-form input[name=url]", "ftp://example.com/x");
    await page.click("form.webhook-form input[value='quota_request.rejected']");
    await page.click("form.webhook-form button[type=submit]");
    await page.waitForFunction(() => /invalid_webhook_url/.test(document.body.innerText));
    assert.equal((await call("GET", "/v1/webhooks", keys.globex)).body.webhooks.length, 0);
    await page.$eval("form.webhook-form input[name=url]", (e) => (e.value = ""));
    await page.type("form.webhook-form input[name=url]", hook);
    await page.type("form.webhook-form input[name=description]", "<b>ops</b>");
    await page.click("form.webhook-form button[type=submit]");
    await page.waitForSelector(".secret code");
    const secret = await page.$eval(".secret code", (e) => e.textContent);
    assert.match(secret, /^whsec_[0-9a-f]{48}$/);
    const listed = (await call("GET", "/v1/webhooks", keys.globex)).body.webhooks;
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].events, ["quota_request.rejected"]);
    assert.equal(listed[0].secret, undefined);  // shown once only
    assert.equal(await page.$("main b"), null);  // the description is text
    const wid = listed[0].id;

    // An event: the operator rejects a request of globex.
    const filed = await call("POST", "/v1/quota/requests", keys.globex, { fields: { weight: 2 }, reason: "alerts" });
    assert.equal(filed.status, 201);
    assert.equal((await call("POST", `/admin/v1/quota-requests/${filed.body.id}/reject`, operator, {})).status, 200);
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 1);
    const got = received[0];
    const event = JSON.parse(got.body);
    assert.equal(event.type, "quota_request.rejected");
    assert.equal(event.tenant, "globex");
    assert.equal(got.headers["tenantkv-webhook-id"], event.id);
    const mac = createHmac("sha256", secret).update(`${got.headers["tenantkv-webhook-timestamp"]}.${got.body}`).digest("hex");
    assert.equal(got.headers["tenantkv-webhook-signature"], `v1=${mac}`);

    // Its deliveries in the console: delivered, with the event's id.
    await page.click(`button[data-deliveries='${wid}']`);
    await page.waitForFunction((id) => document.body.innerText.includes(id), {}, event.id);
    assert.match(await text(page), /delivered/);

    // The operator: no global endpoint yet, and globex's in its drill-down, read only.
    const op = await signIn(operator, "operator");
    await openView(op.page, "Alerts");
    assert.ok(await op.page.$("form.webhook-form"));
    await openView(op.page, "Tenants");
    await op.page.evaluate(() => {
      for (const tr of document.querySelectorAll("tr")) if (tr.textContent.includes("globex")) tr.querySelector("button")?.click();
    });
    await op.page.waitForFunction((id) => document.body.innerText.includes(id), {}, wid);
    assert.equal(await op.page.$(`button[data-webhook='${wid}']`), null);
    assert.deepEqual(op.problems, []);
    await op.page.close();

    // The tenant admin deletes it.
    await page.click(`button[data-webhook='${wid}']`);
    await page.waitForFunction((id) => !document.body.innerText.includes(id), {}, wid);
    assert.equal((await call("GET", "/v1/webhooks", keys.globex)).body.webhooks.length, 0);
    // The one error the browser logged is the refused URL's 400.
    assert.deepEqual(problems, ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
    await page.close();
  } finally {
    receiver.close();
  }
});

test("a tenant admin cannot reach another tenant's pages", async () => {
  const { page } = await signIn(keys.acme);
  for (const view of ["Usage", "Quota", "API keys", "Alerts", "Data keys", "Audit"]) {
    await openView(page, view);
    assert.doesNotMatch(await text(page), /globex/, view);
  }
  // Nor through the API with the signed-in key, whatever the page asks.
  const statuses = await page.evaluate(async () => {
    const token = sessionStorage.getItem("tenantkv.console.token");
    const out = [];
    for (const p of [
      "/admin/v1/tenants/globex/apikeys",
      "/admin/v1/tenants/globex/quota",
      "/admin/v1/tenants/globex/keys",
      "/admin/v1/audit?tenant=globex",
      "/admin/v1/tenants/globex/usage/history",
      "/admin/v1/tenants",
      "/admin/v1/keys/schedule",
      "/admin/v1/quota-requests",
      "/admin/v1/tenants/globex/webhooks",
      "/admin/v1/webhooks",
    ]) {
      out.push((await fetch(p, { headers: { Authorization: `Bearer ${token}` } })).status);
    }
    return out;
  });
  assert.deepEqual(statuses, [403, 403, 403, 403, 403, 403, 403, 403, 403, 403]);
  await page.close();
});
