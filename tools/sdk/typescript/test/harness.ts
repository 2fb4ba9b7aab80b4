// Starts a real tenantkv-server on 127.0.0.1 port 0 (as tests/testing/test_server.cc
// does) and makes tenants and keys through the operator token.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { TenantKV, type ClientOptions, type Role } from "../dist/index.js";
import { checkedFetch, mismatches } from "./spec-check.js";

export { checkedFetch };

export class Server {
  readonly url: string;
  readonly operatorToken: string;
  private readonly child: ChildProcess;
  private readonly dir: string;

  private constructor(child: ChildProcess, dir: string, url: string, token: string) {
    this.child = child;
    this.dir = dir;
    this.url = url;
    this.operatorToken = token;
  }

  static async start(extraArgs: string[] = []): Promise<Server> {
    const bin = process.env["TENANTKV_SERVER_BIN"];
    if (bin === undefined || bin === "") throw new Error("set TENANTKV_SERVER_BIN to the tenantkv-server binary");
    const dir = mkdtempSync(join(tmpdir(), "tenantkv-sdk-ts-"));
    const dataDir = join(dir, "data");
    const log = openSync(join(dir, "server.log"), "a");
    const env = { ...process.env };
    delete env["TENANTKV_OPERATOR_TOKEN"];
    const child = spawn(
      bin,
      ["--data-dir", dataDir, "--listen", "127.0.0.1:0", "--spare-column-families", "4", ...extraArgs],
      { stdio: ["ignore", "pipe", log], env },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let text = "";
      const onData = (b: Buffer) => {
        text += b.toString();
        // "tenantkv listening on http://127.0.0.1:PORT"
        const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)\n/.exec(text);
        if (m?.[1] !== undefined) {
          child.stdout?.off("data", onData);
          child.stdout?.resume();
          resolve(m[1]);
        }
      };
      child.stdout?.on("data", onData);
      child.once("exit", (code) => {
        let err = "";
        try {
          err = readFileSync(join(dir, "server.log"), "utf8");
        } catch {
          // No log yet.
        }
        reject(new Error(`tenantkv-server exited (${code}) before listening: ${text} ${err}`));
      });
    });
    const token = readFileSync(join(dataDir, "operator.token"), "utf8").trim();
    return new Server(child, dir, url, token);
  }

  /** Stops the server; fails if an answer of this file's clients did not match docs/openapi.yaml. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (mismatches.length > 0) {
      throw new Error(`answers that docs/openapi.yaml does not describe:\n${mismatches.join("\n")}`);
    }
  }

  /** A client with the operator token. */
  operator(options: ClientOptions = {}): TenantKV {
    return new TenantKV({ baseUrl: this.url, token: this.operatorToken, fetch: checkedFetch, ...options });
  }

  /** A raw operator call, for the operator-only routes the SDK does not wrap. */
  async opCall(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.operatorToken}` } };
    if (body !== undefined) init.body = JSON.stringify(body);
    else if (method === "POST") init.body = "";
    return fetch(this.url + path, init);
  }

  async createTenant(id: string, plan = "standard"): Promise<void> {
    const r = await this.opCall("POST", "/admin/v1/tenants", { id, plan });
    if (r.status !== 201) throw new Error(`create tenant ${id}: ${r.status} ${await r.text()}`);
  }

  /** A new API key's token for `tenant`. */
  async token(tenant: string, role: Role): Promise<string> {
    const k = await this.operator().createApiKey(tenant, role);
    return k.token;
  }

  /** A client of `tenant` with a new key of `role`; its answers are checked against the spec. */
  async client(tenant: string, role: Role, options: ClientOptions = {}): Promise<TenantKV> {
    return new TenantKV({ baseUrl: this.url, token: await this.token(tenant, role), fetch: checkedFetch, ...options });
  }
}
