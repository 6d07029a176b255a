// Debian's real Chromium, headless, driven by playwright-core, for the dashboard's tests. Nothing of it
// reaches the network: background services, sync and component updates are off, and pages load only
// from the test's own 127.0.0.1 servers.
import { chromium, type Browser } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
