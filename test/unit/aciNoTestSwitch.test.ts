// The aci backend has one path, the production one: nothing in it may notice that it talks to a fake
// (a loopback endpoint, a test environment variable) and behave differently. Tests reach their fakes
// through configuration alone (an endpoint, a CA, a credential), as production reaches Azure.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'runner', 'backends', 'aci');

describe('the aci backend has no test switch', () => {
  it('names no loopback address, no localhost, no test mode in any of its files', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 10, `read ${files.length} files from ${dir}`);
    for (const f of files) {
      const code = readFileSync(join(dir, f), 'utf8');
      assert.doesNotMatch(code, /127\.0\.0\.1|::1|localhost|loopback|NODE_ENV|isTest|process\.env\.(?:CI|TEST)/i, f);
    }
  });
});
