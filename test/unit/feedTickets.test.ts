// Feed tickets: what a browser trades its admin token for to open the feed. Each opens one connection,
// within 30 seconds of being issued.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Auth } from '../../src/stream/auth.js';

function auth(): { auth: Auth; at: (ms: number) => void } {
  let now = 5_000_000;
  return {
    auth: new Auth('admin-token-0123456789', ['api-token-0123456789'], () => now),
    at: (ms) => (now = 5_000_000 + ms),
  };
}

describe('feed tickets', () => {
  it('opens the feed until 30 s after it was issued, and not a millisecond later', async () => {
    const a = auth();
    const { ticket, expiresInMs } = await a.auth.issueTicket();
    assert.equal(expiresInMs, 30_000);
    a.at(30_000);
    assert.equal(await a.auth.redeemTicket(ticket), true, 'still good at 30 s');
    const late = (await a.auth.issueTicket()).ticket;
    a.at(60_001);
    assert.equal(await a.auth.redeemTicket(late), false, 'expired 30 s + 1 ms after it was issued');
  });

  it('opens one connection only', async () => {
    const a = auth();
    const { ticket } = await a.auth.issueTicket();
    assert.equal(await a.auth.redeemTicket(ticket), true);
    assert.equal(await a.auth.redeemTicket(ticket), false);
  });

  it('refuses no ticket and a ticket it never issued', async () => {
    const a = auth();
    await a.auth.issueTicket();
    assert.equal(await a.auth.redeemTicket(null), false);
    assert.equal(await a.auth.redeemTicket(''), false);
    assert.equal(await a.auth.redeemTicket('made-up'), false);
  });

  it('issues a different ticket each time', async () => {
    const a = auth();
    assert.notEqual((await a.auth.issueTicket()).ticket, (await a.auth.issueTicket()).ticket);
  });
});
