// A fake Microsoft Entra ID token endpoint on https://127.0.0.1, enough for the production credential
// (DefaultAzureCredential → EnvironmentCredential → ClientSecretCredential → MSAL) to get a real token:
// the OpenID configuration MSAL reads first ({tenant}/v2.0/.well-known/openid-configuration) and the
// client-credentials grant ({tenant}/oauth2/v2.0/token), as the identity platform documents them
// (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow). Its refusals carry
// Entra's AADSTS codes (…/reference-error-codes): a wrong secret is 401 invalid_client AADSTS7000215, an
// unknown app 400 unauthorized_client AADSTS700016, a scope without /.default 400 invalid_scope
// AADSTS1002012.
//
// MSAL first asks login.microsoftonline.com whether an unknown authority is a real one ("instance
// discovery"); no fake can answer for that host, so the service runs with AZURE_DISABLE_INSTANCE_DISCOVERY
// (src/config.ts), the setting a private cloud needs for the same reason.
//
// Tokens are JWTs (signed with HS256 by a key only this process knows, where Entra signs RS256) with
// the claims ARM reads: aud, iss, tid, appid, oid, iat, nbf, exp. Their lifetime is on the fake clock;
// expires_in says it in real seconds, so a client on a fast clock renews in time (clock.ts).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeClock } from './clock.js';
import { serverTls } from './tls.js';

export interface EntraApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The service principal's object id: ARM's "actor" in throttling, one bucket per principal. */
  objectId: string;
}

export interface TokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  oid: string;
  sub: string;
  idtyp: 'app';
  ver: '1.0';
  /** Seconds since the epoch, on the fake clock. */
  iat: number;
  nbf: number;
  exp: number;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'not-yet-valid'; claims?: TokenClaims };

/** Entra's default access-token lifetime is 60–90 minutes (configurable-token-lifetimes); the fake uses an hour. */
const DEFAULT_LIFETIME_MS = 60 * 60_000;

export class FakeEntra {
  readonly app: EntraApp = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    objectId: randomUUID(),
  };
  /** Every token request, for tests that count them. */
  readonly requests: { path: string; status: number }[] = [];
  tokenLifetimeMs = DEFAULT_LIFETIME_MS;
  private readonly key = randomBytes(32);
  private server!: Server;
  private port = 0;

  private constructor(readonly clock: FakeClock) {}

  static async start(clock: FakeClock): Promise<FakeEntra> {
    const entra = new FakeEntra(clock);
    entra.server = createServer(serverTls(), (req, res) => void entra.handle(req, res));
    await new Promise<void>((r) => entra.server.listen(0, '127.0.0.1', r));
    entra.port = (entra.server.address() as AddressInfo).port;
    return entra;
  }

  /** AZURE_AUTHORITY_HOST */
  get authorityHost(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** What EnvironmentCredential reads from the environment to sign in as this fake's app. */
  credentialEnv(): Record<string, string> {
    return {
      AZURE_TENANT_ID: this.app.tenantId,
      AZURE_CLIENT_ID: this.app.clientId,
      AZURE_CLIENT_SECRET: this.app.clientSecret,
      AZURE_AUTHORITY_HOST: this.authorityHost,
      // DefaultAzureCredential's chain pinned to the one credential the tests use (the variable is
      // @azure/identity 4.x's; production pins ManagedIdentityCredential the same way).
      AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
      AZURE_DISABLE_INSTANCE_DISCOVERY: 'true',
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** A token as the endpoint would issue it, for tests that call ARM by hand. */
  mint(audience: string, lifetimeMs = this.tokenLifetimeMs, app: EntraApp = this.app): string {
    const now = Math.floor(this.clock.now() / 1000);
    const claims: TokenClaims = {
      aud: audience,
      iss: `https://sts.windows.net/${app.tenantId}/`,
      tid: app.tenantId,
      appid: app.clientId,
      oid: app.objectId,
      sub: app.objectId,
      idtyp: 'app',
      ver: '1.0',
      iat: now,
      nbf: now,
      exp: now + Math.floor(lifetimeMs / 1000),
    };
    const head = b64url({ alg: 'HS256', typ: 'JWT' });
    const body = b64url(claims);
    return `${head}.${body}.${this.sign(`${head}.${body}`)}`;
  }

  /** What ARM checks of a bearer token: its form, its signature and its time. */
  verify(token: string): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };
    const [head, body, sig] = parts as [string, string, string];
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof claims !== 'object' || claims === null || typeof claims.exp !== 'number')
      return { ok: false, reason: 'malformed' };
    const want = Buffer.from(this.sign(`${head}.${body}`));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'signature' };
    const now = this.clock.now() / 1000;
    if (now >= claims.exp) return { ok: false, reason: 'expired', claims };
    if (now < claims.nbf - 300) return { ok: false, reason: 'not-yet-valid', claims }; // five minutes of skew, as Entra's validators allow
    return { ok: true, claims };
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.authorityHost);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const entry = { path: url.pathname, status: 0 };
    this.requests.push(entry);
    const reply = (status: number, json: unknown): void => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(json));
    };
    const base = `${this.authorityHost}/${this.app.tenantId}`;
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
    if (!m)
      return reply(404, {
        error: 'not_found',
        error_description: `fake Entra: no route for ${req.method} ${url.pathname}`,
      });
    if (m[1] !== this.app.tenantId)
      return reply(
        400,
        entraError(
          'invalid_request',
          90002,
          `Tenant '${m[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        ),
      );
    if (m[2]?.startsWith('v2.0')) {
      return reply(200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        tenant_region_scope: 'EU',
      });
    }
    if (req.method !== 'POST')
      return reply(405, { error: 'invalid_request', error_description: 'fake Entra: the token endpoint takes POST' });
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials')
      return reply(
        400,
        entraError(
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`,
        ),
      );
    const clientId = form.get('client_id') ?? '';
    if (clientId !== this.app.clientId)
      return reply(
        400,
        entraError(
          'unauthorized_client',
          700016,
          `Application with identifier '${clientId}' was not found in the directory '${this.app.tenantId}'.`,
        ),
      );
    if (form.get('client_secret') !== this.app.clientSecret) {
      return reply(
        401,
        entraError(
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        ),
      );
    }
    const scope = form.get('scope') ?? '';
    const resource = scope.split(' ').find((s) => s.endsWith('/.default'));
    if (!resource)
      return reply(
        400,
        entraError(
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        ),
      );
    const lifetimeS = Math.max(1, Math.floor(this.clock.realMs(this.tokenLifetimeMs) / 1000));
    return reply(200, {
      token_type: 'Bearer',
      expires_in: lifetimeS,
      ext_expires_in: lifetimeS,
      access_token: this.mint(resource.slice(0, -'.default'.length)),
    });
  }
}

/** Entra's error body: the OAuth error, its description led by the AADSTS code, and the code again. */
function entraError(error: string, code: number, text: string): Record<string, unknown> {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
  };
}

function b64url(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}
