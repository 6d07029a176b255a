// ARM's front door: every request needs `Authorization: Bearer <token>` with a token from the tenant's
// Entra (here test/fakes/entra.ts), unexpired and issued for ARM. The refusals are 401 with ARM's own
// codes and texts, as real responses carry them:
// - no header: AuthenticationFailed "Authentication failed. The 'Authorization' header is missing."
//   (an Azure Monitor doc's error section; the same text in a Logic Apps failure report);
// - not a Bearer header: AuthenticationFailed "… The 'Authorization' header is provided in an invalid
//   format." (the missing-header refusal's sibling; not found quoted, so its wording is an assumption);
// - a token ARM cannot read or verify: InvalidAuthenticationToken "The access token is invalid."
//   (Azure/azure-powershell#27882; Microsoft Sentinel's ServiceNow FAQ);
// - an expired one: ExpiredAuthenticationToken "The access token expiry UTC time '…' is earlier than
//   current UTC time '…'." (hashicorp/terraform-provider-azurerm#20867, a captured response);
// - another resource's token: InvalidAuthenticationTokenAudience (JetBrains/azure-tools-for-intellij#16).
// Each comes with WWW-Authenticate, as ARM sends it; it names no claims, so the SDK's bearer policy hands
// the 401 back instead of asking for a new token (core-rest-pipeline bearerTokenAuthenticationPolicy).
import type { FakeEntra, TokenClaims } from './entra.js';

export type AuthOutcome =
  | { ok: true; claims: TokenClaims }
  | { ok: false; status: 401; headers: Record<string, string>; body: { error: { code: string; message: string } } };

export function authenticate(header: string | undefined, entra: FakeEntra, audiences: readonly string[]): AuthOutcome {
  const refuse = (code: string, message: string, why: string): AuthOutcome => ({
    ok: false,
    status: 401,
    headers: {
      'WWW-Authenticate': `Bearer authorization_uri="${entra.authorityHost}/${entra.app.tenantId}", error="invalid_token", error_description="${why}"`,
    },
    body: { error: { code, message } },
  });
  if (header === undefined || header === '') {
    return refuse(
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      "The authentication failed because of missing 'Authorization' header.",
    );
  }
  const m = /^Bearer (\S+)$/.exec(header);
  if (!m)
    return refuse(
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      "The 'Authorization' header is provided in an invalid format.",
    );
  const check = entra.verify(m[1] as string);
  if (!check.ok) {
    if (check.reason === 'expired' && check.claims) {
      const now = entra.clock.now();
      return refuse(
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${dotnetUtc(check.claims.exp * 1000)}' is earlier than current UTC time '${dotnetUtc(now)}'.`,
        'The access token has expired.',
      );
    }
    return refuse('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
  }
  const aud = check.claims.aud.replace(/\/+$/, '');
  if (!audiences.some((a) => a.replace(/\/+$/, '') === aud)) {
    const allowed = audiences.flatMap((a) => [`'${a.replace(/\/+$/, '')}/'`, `'${a.replace(/\/+$/, '')}'`]).join(',');
    return refuse(
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${check.claims.aud}'. It should exactly match with one of the allowed audiences ${allowed}.`,
      'The access token has been obtained for wrong audience.',
    );
  }
  return { ok: true, claims: check.claims };
}

/** '3/19/2023 8:55:46 AM': how ARM (.NET, invariant culture) prints a UTC time in these messages. */
function dotnetUtc(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}
